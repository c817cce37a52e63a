"""幸福河湖 assessment — the Flask application factory.

`flask --app happy_rivers run` (or `flask --app app run` in a checkout) finds create_app();
see README.md for the two set-up commands.
"""

import json
import os
import secrets
import time
from pathlib import Path

import click
from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app: config, extensions, blueprints and CLI commands."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "happy_rivers.db"),
        UPLOAD_FOLDER=os.path.join(app.instance_path, "uploads"),
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        # evidence per assessment: enough for every indicator's photos, bounded for the disk
        EVIDENCE_FILES_PER_ASSESSMENT=60,
        EVIDENCE_BYTES_PER_ASSESSMENT=300 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
        # 公示 before naming (docs/process.md): an accepting decision puts the waterbody in a
        # public notice and the title counts from the naming date. False: the title counts
        # from the decision date, for a deployment that runs its notices elsewhere.
        PUBLICITY=True,
        # folders of extra rubric files and waterbody kinds, read after the built-in
        # scoring/rubrics/: a list, or one string of folders separated by os.pathsep (":")
        RUBRIC_PATH="",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("HAPPY_RIVERS")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)
    app.json.ensure_ascii = False

    from happy_rivers.scoring.folders import set_rubric_folders

    # before the views are imported: the API document lists the kinds found there
    set_rubric_folders(_folders(app.config["RUBRIC_PATH"]))

    from happy_rivers import mail, store, views

    store.init_app(app)
    mail.init_app(app)
    views.init_app(app)
    app.cli.add_command(score_command)

    @app.get("/healthz")
    def healthz():
        """Liveness for load balancers, and the trivial baseline the benchmark compares with."""
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app


@click.command("score")
@click.argument("answers_file", type=click.File("r", encoding="utf-8"))
@click.option("--rubric", "rubric_id", default="cq-river", show_default=True)
@click.option("--version", "rubric_version", default=None, help="Rubric version (default: latest).")
def score_command(answers_file, rubric_id: str, rubric_version: str | None) -> None:
    """Score an answers JSON file and print the result as JSON (exit 2 on bad input)."""
    from happy_rivers import scoring

    try:
        rubric = scoring.load_rubric(rubric_id, rubric_version)
    except scoring.RubricError as e:
        click.echo(json.dumps({"errors": {"rubric": str(e)}}, ensure_ascii=False), err=True)
        raise SystemExit(2) from None
    try:
        answers = json.load(answers_file)
    except json.JSONDecodeError as e:
        message = f"不是有效的 JSON：第 {e.lineno} 行第 {e.colno} 列"
        click.echo(json.dumps({"errors": {"answers": message}}, ensure_ascii=False), err=True)
        raise SystemExit(2) from None
    except (ValueError, RecursionError):  # a number of >4300 digits; absurdly deep nesting
        message = "不是可处理的 JSON：数字位数过多或嵌套过深"
        click.echo(json.dumps({"errors": {"answers": message}}, ensure_ascii=False), err=True)
        raise SystemExit(2) from None
    try:
        result = scoring.score(rubric, answers)
    except scoring.InvalidAnswers as e:
        click.echo(json.dumps({"errors": e.errors}, ensure_ascii=False, indent=2), err=True)
        raise SystemExit(2) from None
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


def _folders(setting) -> list[str]:
    if isinstance(setting, str):
        return [f for f in setting.split(os.pathsep) if f.strip()]
    return [str(f) for f in setting or ()]


def _instance_secret_key(instance_path: str) -> str:
    """Read the secret key from instance/secret_key, generating it on first run.

    A fixed default would let anyone forge sessions; a per-install random key kept outside git
    survives restarts so users stay signed in.
    """
    key_file = Path(instance_path) / "secret_key"
    try:
        # O_EXCL: when two workers start together exactly one creates the key and both read it;
        # mode 0600 from the first byte, never readable by others.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    for _ in range(50):  # the creator may not have written it yet
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{key_file} is empty: delete it and start again")
