"""The API against its own OpenAPI document, by Schemathesis: a bounded, deterministic run.

The real app serves a temporary SQLite file loaded with the demo data, over real HTTP, from a
thread; the Schemathesis command line (its examples, coverage and fuzzing phases) sends about
25 generated requests per operation and method with an administrator's bearer token, so the
authenticated operations run their real code, and checks every answer: no 5xx, only documented
status codes, content types, headers and response bodies matching their schemas, schema-
violating requests refused, undeclared methods a 405 with Allow, missing tokens a 401.

Not checked: `positive_data_acceptance`, "every schema-valid request is accepted". The document
describes shapes; the API also refuses what only the rubric and the workflow know (an answer
out of range, a duplicate waterbody name, a review of a draft), each a documented 409 or 422.

Deterministic: a fixed seed, one worker, no example database, health checks (which time
Hypothesis on a busy machine) off. The command line rather than the pytest plugin: it runs
every phase and prints each failure with a curl line that reproduces it.
"""

import re
import subprocess
import sys
import threading
import time

import pytest
from werkzeug.serving import make_server

from happy_rivers import create_app, store
from happy_rivers.store import demo, users

SEED = "20261204"
EXAMPLES_PER_OPERATION = "25"


@pytest.fixture
def live_api(tmp_path):
    """(base URL, admin token) of the real app on a free port, with the demo data."""
    app = create_app(
        {
            "SECRET_KEY": "schemathesis-secret",
            "DATABASE": str(tmp_path / "happy_rivers.db"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    with app.app_context():
        db = store.get_db()
        store.migrate(db)
        demo.seed(db)
        token = users.create_token(db, users.by_username(db, "admin")["id"], "schemathesis")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="schemathesis-app", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", token
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_the_api_keeps_to_its_openapi_document(live_api, tmp_path):
    url, token = live_api
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--phases",
        "examples,coverage,fuzzing",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        EXAMPLES_PER_OPERATION,
        "--seed",
        SEED,
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "60",
        "--continue-on-failure",
        "--no-color",
    ]
    started = time.monotonic()
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    took = time.monotonic() - started
    report = run.stdout + run.stderr
    assert run.returncode == 0, f"Schemathesis found failures ({took:.0f} s):\n{report[-20000:]}"
    counts = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counts, report[-3000:]
    generated, passed = map(int, counts.groups())
    assert generated == passed >= 12 * 20, report[-3000:]  # 12 operations, ≥ 20 cases each
    print(f"schemathesis: {generated} requests in {took:.0f} s")
