"""`pip install .` gives a working app: the wheel carries the templates, static files, catalogs and
rubrics, and the installed package serves from a directory that is not the checkout."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCE = (".git", ".venv", "instance", "build", "*.egg-info", "__pycache__", ".*_cache")
NOT_SOURCE += (".hypothesis", "screenshots", "out")

# Run in a child process whose import path starts with the unpacked wheel, from another folder:
# it proves the package imports from the wheel, not from the checkout.
CHILD = r"""
import re, sys
from pathlib import Path

import happy_rivers
from happy_rivers import create_app, store
from happy_rivers.store import users, waterbodies

site, data = Path(sys.argv[1]), Path(sys.argv[2])
assert Path(happy_rivers.__file__).is_relative_to(site), happy_rivers.__file__
config = {"SECRET_KEY": "x", "DATABASE": str(data / "t.db"), "UPLOAD_FOLDER": str(data / "up")}
app = create_app(config | {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"})
with app.app_context():
    db = store.get_db()
    store.migrate(db)
    users.create(db, "yubei", "correct-horse-1", "inspector", "渝北区")
    wid = waterbodies.create(db, {"name": "御临河", "kind": "river", "district": "渝北区"})
client = app.test_client()
assert client.get("/healthz").data == b"ok"
login = client.get("/login").get_data(as_text=True)
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
signed_in = client.post("/login", data={"username": "yubei", "password": "correct-horse-1",
                                       "csrf_token": token})
assert signed_in.status_code == 302, signed_in.status_code
form = client.get(f"/waterbodies/{wid}/assessments/new?kind=self")
assert form.status_code == 200, form.status_code
html = form.get_data(as_text=True)
assert 'name="A1"' in html and "防洪达标率" in html
assert client.get("/static/css/app.css").status_code == 200
client.get("/lang/en")  # the compiled English catalog is found in the installed package
english = client.get(f"/waterbodies/{wid}/assessments/new?kind=self").get_data(as_text=True)
assert "Flood-control compliance rate" in english, "no English catalog"
print("served")
"""


def test_the_wheel_installs_an_app_that_serves_a_form_from_another_folder(tmp_path):
    # build from a copy: setuptools' build/ folder in the checkout could hold stale files
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
        + ["--wheel-dir", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("happy_rivers-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "happy_rivers/templates/base.html",
        "happy_rivers/templates/inspect/form.html",
        "happy_rivers/static/css/app.css",
        "happy_rivers/static/js/form.js",
        "happy_rivers/static/geo/chongqing_districts.json",
        "happy_rivers/scoring/rubrics/cq-river-2025.1.toml",
        "happy_rivers/scoring/targets.toml",
        "happy_rivers/translations/en/LC_MESSAGES/messages.mo",  # compiled by the build
    ):
        assert expected in names, expected
    assert not [n for n in names if n.startswith(("tests/", "bench/", "instance/"))]

    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere.mkdir()
    env = os.environ | {"PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(site), str(elsewhere)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "served"
