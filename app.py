"""幸福河湖 assessment — the Flask application factory.

`flask --app app run` finds create_app(); see README.md for the two set-up commands.
"""

import os
import secrets
from pathlib import Path

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app: config, extensions, blueprints and CLI commands."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "happy_rivers.db"),
        UPLOAD_FOLDER=os.path.join(app.instance_path, "uploads"),
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("HAPPY_RIVERS")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)
    app.json.ensure_ascii = False

    import store
    import views

    store.init_app(app)
    views.init_app(app)
    return app


def _instance_secret_key(instance_path: str) -> str:
    """Read the secret key from instance/secret_key, generating it on first run.

    A fixed default would let anyone forge sessions; a per-install random key kept outside git
    survives restarts so users stay signed in.
    """
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
