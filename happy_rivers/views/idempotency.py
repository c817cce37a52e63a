"""Idempotency-Key on the pages and the API: reading the key, and the request's fingerprint.

The contract (the offline outbox relies on it):
- the key is a UUID in the `Idempotency-Key` header, or for a form post the hidden field
  `idempotency_key` that every rendered form carries (a fresh UUID per render, so a double
  click of a form without JavaScript is applied once); the header wins when both are sent;
- each key is applied at most once per user; a repeat gets the first answer (status,
  Location, JSON body) back; a key used for a different request is refused with 422;
- the fingerprint is the method, the path and a hash of the meaningful body: the CSRF token
  and the key itself are left out (a new page render has a new token but asks the same).
"""

import hashlib
import json
import re
import uuid

from flask import abort, flash, make_response, redirect, render_template
from flask import request as flask_request
from flask_babel import gettext

from happy_rivers.store import idempotency
from happy_rivers.store.idempotency import Answer

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_NOT_MEANINGFUL = {"csrf_token", FIELD}

BAD_KEY = "Idempotency-Key 须为 UUID，例如 123e4567-e89b-42d3-a456-426614174000"
REUSED_KEY = "该 Idempotency-Key 已用于另一个请求；每个操作须使用新的键"


class BadKey(ValueError):
    pass


def new_key() -> str:
    """A fresh key for a rendered form."""
    return str(uuid.uuid4())


def request_key(*, form: bool) -> str | None:
    """The request's key (lower case), None without one; BadKey when it is not a UUID.

    The header wins over the form field: the outbox sends a fresh header for every queued
    operation, while the form data it stored still carries the key of the page it came from.
    """
    raw = flask_request.headers.get(HEADER)
    if raw is None and form:
        raw = flask_request.form.get(FIELD) or None
    if raw is None:
        return None
    raw = raw.strip()
    if not _UUID.fullmatch(raw):
        raise BadKey(BAD_KEY)
    return raw.lower()


def _fingerprint(body: str) -> str:
    digest = hashlib.sha256(f"{flask_request.method} {flask_request.path}\n".encode())
    digest.update(body.encode())
    return digest.hexdigest()


def json_fingerprint(body: dict) -> str:
    """For the API: the parsed body, so key order and spacing do not make a new request."""
    return _fingerprint(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str))


def form_fingerprint() -> str:
    """For a form post: every field but the CSRF token and the key, and each file's content."""
    items = sorted(
        (k, v) for k, v in flask_request.form.items(multi=True) if k not in _NOT_MEANINGFUL
    )
    files = []
    for name, upload in flask_request.files.items(multi=True):
        content = upload.stream.read()
        upload.stream.seek(0)
        files.append((name, upload.filename or "", hashlib.sha256(content).hexdigest()))
    return _fingerprint(json.dumps([items, sorted(files)], ensure_ascii=False))


# --- pages ---------------------------------------------------------------------------------------


def page_key() -> tuple[str, str] | None:
    """(key, fingerprint) of a form post, or None without a key. Raises BadKey."""
    key = request_key(form=True)
    return (key, form_fingerprint()) if key else None


def redirect_answer(
    location: str,
    message: str | None = None,
    category: str = "success",
    status: int = 303,
    **values,
) -> Answer:
    """A page's answer to remember: where it redirected, and the message it showed.

    The message is kept as its id (mark it N_) and values, and translated when it is shown, so
    a repeat shows it in the language of the page that asks.
    """
    flashed = [message, category, values]
    body = json.dumps({"flash": flashed}, ensure_ascii=False) if message else None
    return Answer(status, location, body)


def answer_extra(answer: Answer) -> dict:
    return json.loads(answer.body) if answer.body else {}


def redirect_response(answer: Answer):
    """A remembered redirect, shown again with its message."""
    shown = answer_extra(answer).get("flash")
    if shown:
        message, category, *values = shown  # (answers kept before the values had none)
        flash(gettext(message, **(values[0] if values else {})), category)
    return redirect(answer.location, answer.status)


def key_error_page(*, reused: bool):
    """A bad or reused key on a page: an error page naming the field, 422."""
    if reused:
        message = gettext("该 Idempotency-Key 已用于另一个请求；每个操作须使用新的键")
    else:
        message = gettext("Idempotency-Key 须为 UUID，例如 123e4567-e89b-42d3-a456-426614174000")
    return render_template("error.html", title=gettext("请求无效"), message=message), 422


def page_replay(db, user_id: int) -> tuple[tuple[str, str] | None, Answer | None]:
    """This page post's key, and the answer it was first given when it repeats an applied one.

    A malformed or reused key ends the request here with key_error_page, so every keyed page
    post refuses bad keys the same way.
    """
    try:
        key = page_key()
        return key, (idempotency.replay(db, user_id, *key) if key else None)
    except BadKey:
        abort(make_response(key_error_page(reused=False)))
    except idempotency.KeyReused:
        abort(make_response(key_error_page(reused=True)))
