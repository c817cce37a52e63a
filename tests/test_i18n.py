"""Chinese first, English second: the switch, the rubric names, and a complete catalog."""

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from happy_rivers import store
from tests.answers import full_river_answers
from tests.conftest import as_form, new_assessment, waterbody_id

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "happy_rivers" / "translations"
# `make translations` extracts with babel.cfg and pybabel's default keywords plus lazy_gettext
# and scoring's Text (happy_rivers/scoring/text.py)
KEYWORDS = DEFAULT_KEYWORDS | {"lazy_gettext": None, "Text": None}


def message_ids() -> dict[str, list[str]]:
    """Every message id in the code and templates, as `make translations` finds it → its files."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, []).append(filename)
    return found


def english_catalog():
    with (CATALOGS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale="en")


@pytest.fixture
def filled(app, login_as):
    """An inspector with a river assessment whose complete answers are saved as a draft.

    No app context stays pushed here (unlike the db fixture): requests would share its `g`, and
    Flask-Babel keeps the request's locale in `g`, so a language switch would not show.
    """
    with app.app_context():
        wid = waterbody_id(store.get_db())
    inspector = login_as("yubei")
    aid = new_assessment(inspector, wid, kind="acceptance")
    data = as_form("cq-river", full_river_answers()) | {"version": "1", "action": "save"}
    assert inspector.post(f"/assessments/{aid}/edit", data).status_code == 303  # saved, PRG
    return inspector, aid


def page(browser, url: str) -> str:
    response = browser.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_chinese_is_the_default(filled):
    inspector, aid = filled
    form = page(inspector, f"/assessments/{aid}/edit")
    assert '<html lang="zh-CN">' in form
    for text in ("河湖安澜", ">防洪达标率</label>", "保存草稿", "滨水步道连续贯通（2 分）"):
        assert text in form
    assert "G2 说明" in form
    assert re.search(r"水质类别：<strong>Ⅱ 类</strong>，限制因子：", form)
    result = page(inspector, f"/assessments/{aid}")
    for text in ("七个维度", "河湖安澜", "防洪达标率", "很幸福", ">通过验收<"):
        assert text in result
    assert "Safe and secure" not in form + result


def test_lang_en_switches_the_form_and_the_result_page(filled):
    inspector, aid = filled
    switch = inspector.get(f"/lang/en?next=/assessments/{aid}/edit")
    assert switch.status_code == 302
    assert switch.headers["Location"].endswith(f"/assessments/{aid}/edit")

    form = page(inspector, f"/assessments/{aid}/edit")
    assert '<html lang="en">' in form
    for text in (
        "Safe and secure",  # dimension name_en from the rubric
        ">Flood-control compliance rate</label>",  # indicator name_en as the field's label
        "Continuous waterside trail (2 pts)",  # checklist option label_en
        "Note on G2",
        "Unresolved &#39;four chaos&#39; problems",  # gate name_en
        "Save draft",
        ">Submit</button>",
        "Water quality: <strong>class Ⅱ</strong>; limiting: ",
        "Chongqing Happy River Assessment (rivers)",  # rubric name_en
    ):
        assert text in form, text
    # (the scoring explanations under each indicator stay Chinese: they come from scoring/)
    for chinese in ("河湖安澜", "保存草稿", ">防洪达标率</label>", "<span>滨水步道连续贯通"):
        assert chinese not in form, chinese

    result = page(inspector, f"/assessments/{aid}")
    for text in (
        "Seven dimensions",
        "Safe and secure",
        "Flood-control compliance rate",
        "Very happy",  # grade label_en
        ">Accepted<",  # computed decision
        "60% floor",
        "Continue filling in",
    ):
        assert text in result, text
    for chinese in ("<h2>七个维度</h2>", "<td>河湖安澜</td>", "很幸福", "继续填写"):
        assert chinese not in result, chinese

    # and back
    inspector.get(f"/lang/zh?next=/assessments/{aid}")
    assert "七个维度" in page(inspector, f"/assessments/{aid}")


def test_language_switch_stays_on_this_site(filled):
    inspector, _aid = filled
    response = inspector.get("/lang/en?next=//evil.example/x")
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_every_message_in_the_code_and_templates_has_english():
    catalog = english_catalog()
    ids = message_ids()
    assert len(ids) > 400  # the extraction found the templates and the Python files
    missing = [
        (msgid, files[0])
        for msgid, files in ids.items()
        if not (catalog.get(msgid) and catalog.get(msgid).string and not catalog.get(msgid).fuzzy)
    ]
    assert missing == [], (
        f"{len(missing)} message ids have no English: run `make translations` and fill in the "
        f"empty msgstr in the .po (README, Translations), e.g. {missing[:5]}"
    )


def test_the_compiled_catalog_is_the_current_one():
    """The app reads the .mo; a .po edited since the install or `make catalogs` is not served."""
    compiled = Translations.load(str(CATALOGS), ["en"])
    stale = [
        message.id
        for message in english_catalog()
        if message.id and message.string and compiled.gettext(message.id) != message.string
    ]
    assert stale == [], f"run `make catalogs`: the .mo lacks {len(stale)} entries, e.g. {stale[:3]}"


def test_translations_keep_their_placeholders():
    """Newstyle gettext formats every message: placeholders must match and a lone % breaks."""
    placeholder = re.compile(r"%\(\w+\)s")

    def stray_percent(text: str) -> bool:
        return "%" in placeholder.sub("", text).replace("%%", "")

    bad = []
    for message in english_catalog():
        if not message.id:
            continue
        # the same placeholders (a language may use one twice, another once)
        if set(placeholder.findall(message.id)) != set(placeholder.findall(message.string)):
            bad.append(("placeholders differ", message.id, message.string))
        if stray_percent(message.id) or stray_percent(message.string):
            bad.append(("lone % (write %%)", message.id, message.string))
    assert bad == []


def test_the_wheel_carries_the_compiled_catalog(tmp_path):
    """`pip install .` compiles the catalogs at build time (setup.py): the app needs no step."""
    # built from a copy: setuptools leaves build/ behind in the folder it builds, and a .mo
    # compiled in the checkout must not be what the wheel picks up
    source = tmp_path / "source"
    shutil.copytree(
        ROOT / "happy_rivers",
        source / "happy_rivers",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
    )
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("happy_rivers-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        mo = archive.read("happy_rivers/translations/en/LC_MESSAGES/messages.mo")
    translations = Translations(io.BytesIO(mo))
    assert translations.gettext("保存草稿") == "Save draft"
    assert translations.gettext("请填写用户名") == english_catalog().get("请填写用户名").string


def test_stored_reasons_and_explanations_show_in_english(filled):
    """The database holds them in Chinese; the result page and report show them in English."""
    inspector, aid = filled
    data = as_form("cq-river", full_river_answers()) | {"version": "2", "action": "submit"}
    assert inspector.post(f"/assessments/{aid}/edit", data).status_code == 302
    inspector.get("/lang/en")
    for url in (f"/assessments/{aid}", f"/assessments/{aid}/report"):
        html = page(inspector, url)
        assert "reaches the acceptance line of 90 pts, every dimension reaches 60%" in html, url
        assert "验收线" not in html, url
        assert re.search(r"→ 7 pts</td>", html), url  # an explanation's points
    inspector.get("/lang/zh")
    assert "达到 90 分的验收线" in page(inspector, f"/assessments/{aid}")
