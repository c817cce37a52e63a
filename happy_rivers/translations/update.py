"""Keep the English catalog in step with the templates.

    .venv/bin/python translations/update.py          # add new ids, drop unused ones, list gaps
    .venv/bin/python translations/update.py --check  # only list gaps (exit 1 if any)

Message ids are the Chinese texts. They come from two places:

- every literal `_('…')` in templates/ (Babel's Jinja extractor), `gettext("…")` in views/ and
  `_("…")` (lazy_gettext) in forms/,
- the label tables the templates translate at run time, e.g. `_(STATUS_LABELS[status])`:
  listed in DYNAMIC below, read from the code so a new status gets a new id.

New ids are added with an empty translation (shown as Chinese until someone writes the
English); ids no longer used are dropped; the rest keep their English. tests/test_i18n.py fails
while any id lacks English, so nothing ships half-translated.
"""

import importlib
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
HEADER = (
    "# English catalog. Message ids are the Chinese UI texts.\n"
    "# Update with: .venv/bin/python translations/update.py (see its docstring).\n"
    "# Newstyle gettext: a literal % in a message is written %%."
)
# header fields worth keeping; dates and placeholders would only make every run a diff
KEEP_HEADERS = ("Language:", "Plural-Forms:", "MIME-Version:", "Content-")

# (module, attribute): dicts whose values templates pass to _() at run time
DYNAMIC = [
    ("happy_rivers.scoring.workflow", "STATUS_LABELS"),
    ("happy_rivers.scoring.workflow", "KIND_LABELS"),
    ("happy_rivers.scoring.engine", "DECISION_LABELS"),
    ("happy_rivers.views.helpers", "WATERBODY_STATUS_LABELS"),
    ("happy_rivers.views.helpers", "AUDIT_LABELS"),
    ("happy_rivers.views.admin", "ENTITY_LABELS"),
    ("happy_rivers.views.auth", "ROLE_LABELS"),
    ("happy_rivers.views.charts", "TARGET_STATUS_LABELS"),
    ("happy_rivers.views.board", "WATERBODY_KINDS"),
    ("happy_rivers.store.users", "PASSWORD_RULES"),
    ("happy_rivers.forms.evidence", "MESSAGES"),
    ("happy_rivers.forms.waterbody_file", "FIELD_LABELS"),
    ("happy_rivers.views.public", "KIND_LABELS"),
    ("happy_rivers.views.public", "GRADE_LABELS"),
    ("happy_rivers.views.public", "OTHER_PAGES"),
]
# form classes whose labels (and choices) templates pass to _(): `_(f.label.text)`
FORMS = [("happy_rivers.forms.review", "ReviewForm"), ("happy_rivers.forms.auth", "LoginForm")]


def _form_texts(form_class) -> list[str]:
    texts = []
    for name in dir(form_class):
        field = getattr(form_class, name)
        if not hasattr(field, "field_class") or name in ("version", "csrf_token"):
            continue
        label = field.args[0] if field.args else field.kwargs.get("label")
        if label:
            texts.append(str(label))
        for choice in field.kwargs.get("choices") or []:
            texts.append(str(choice.label if hasattr(choice, "label") else choice[1]))
    return texts


def message_ids() -> dict[str, list[str]]:
    """Every message id the UI asks for → where it comes from (file paths or module.attr)."""
    if str(ROOT.parent) not in sys.path:
        sys.path.insert(0, str(ROOT.parent))
    found: dict[str, list[str]] = {}
    extracted = extract_from_dir(
        str(ROOT / "templates"),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {}},
    )
    in_views = extract_from_dir(str(ROOT / "views"), method_map=[("**.py", "python")])
    # forms/ marks validator messages with lazy_gettext imported as `_`
    in_forms = extract_from_dir(str(ROOT / "forms"), method_map=[("**.py", "python")])
    for folder, items in (("templates", extracted), ("views", in_views), ("forms", in_forms)):
        for filename, _lineno, message, _comments, _context in items:
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(msgid, [])
            if f"{folder}/{filename}" not in found[msgid]:
                found[msgid].append(f"{folder}/{filename}")
    for module_name, attr in DYNAMIC:
        table = getattr(importlib.import_module(module_name), attr, None)
        if table is None:
            raise LookupError(
                f"{module_name}.{attr} is gone: point DYNAMIC in translations/update.py at the "
                "label table the templates translate now"
            )
        for text in table.values():
            found.setdefault(text, []).append(f"{module_name}.{attr}")
    for module_name, attr in FORMS:
        for text in _form_texts(getattr(importlib.import_module(module_name), attr)):
            found.setdefault(text, []).append(f"{module_name}.{attr}")
    return found


def load() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def untranslated(catalog: Catalog, ids) -> list[str]:
    return [i for i in ids if not (catalog.get(i) and catalog.get(i).string)]


def update() -> list[str]:
    ids = message_ids()
    old = load()
    new = Catalog(locale="en", project="happy-rivers", header_comment=HEADER, fuzzy=False)
    for msgid, origins in ids.items():
        previous = old.get(msgid)
        new.add(
            msgid,
            previous.string if previous else "",
            locations=[(origin, None) for origin in origins],
        )
    buffer = io.BytesIO()
    write_po(buffer, new, width=100, include_lineno=False, omit_header=False)
    header, _, body = buffer.getvalue().decode("utf-8").partition("\n\n")
    kept = [
        line
        for line in header.splitlines()
        if not line.startswith('"') or line.startswith(('""', *(f'"{h}' for h in KEEP_HEADERS)))
    ]
    PO.write_text("\n".join(kept) + "\n\n" + body, encoding="utf-8")
    return untranslated(new, ids)


def main(argv: list[str]) -> int:
    if "--check" in argv:
        missing = untranslated(load(), message_ids())
    else:
        missing = update()
    for msgid in missing:
        print(f"no English yet: {msgid}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
