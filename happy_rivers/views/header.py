"""The site header on every page: navigation, language switch, badges and the signed-in user.

Rendering templates/_header.html took a sixth of a board page's time (issue 14): two dozen
translations and URLs, the same for everyone with the same role and language. So it is
rendered once per language, script root, role and which badges show, with markers where the
request's values go — the badge counts, the user's name, the CSRF token of the sign-out form and
the language link back to this page — and each request fills them in.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from happy_rivers import store
from happy_rivers.store import assessments, notifications
from happy_rivers.translations import current_language

from .helpers import template_url_for
from .i18n import LANGUAGES

# "\0name\0": NUL never occurs in a template or a translation, and escaping leaves it alone
MARK = "\x00"
BADGES = ("returned", "unread")  # shown only when not empty: their state is part of the key
HEADER_CAP = 100  # the unread badge counts to 99, then says "99+" (a count capped in SQL)

# (language, script root, role, returned badge, unread badge) → the header split at its markers:
# text, marker name, text, … Two languages × five roles (and signed out) × four badge states.
_headers: dict[tuple, list[str]] = {}


def returned_count() -> int:
    """Returned assessments waiting for this inspector's district: the badge in the header."""
    if not current_user.is_authenticated or current_user.role != "inspector":
        return 0
    return assessments.count_returned(store.get_db(), current_user.scope)


def unread_badge() -> str:
    """The header's badge: this user's unread notifications ("" for none, "99+" beyond)."""
    if not current_user.is_authenticated:
        return ""
    count = notifications.unread_count(store.get_db(), current_user.id, cap=HEADER_CAP)
    if count >= HEADER_CAP:
        return f"{HEADER_CAP - 1}+"
    return str(count) if count else ""


def site_header() -> Markup:
    """templates/_header.html for this request."""
    signed_in = current_user.is_authenticated
    values = {
        f"lang_{code}": template_url_for("set_language", lang=code, next=request.full_path)
        for code in LANGUAGES
    }
    if signed_in:
        returned = returned_count()
        values |= {
            "returned": str(returned) if returned else "",
            "unread": unread_badge(),
            "name": current_user.display_name,
            "csrf": generate_csrf(),
        }
    key = (
        current_language(),
        request.script_root,
        current_user.role if signed_in else None,
        *(bool(values.get(badge)) for badge in BADGES),
    )
    parts = _headers.get(key)
    if parts is None:
        # a marker for every value; an empty badge stays empty, so that its {% if %} is false
        slot = {
            name: "" if name in BADGES and not value else Markup(f"{MARK}{name}{MARK}")
            for name, value in values.items()
        }
        parts = _headers[key] = render_template("_header.html", slot=slot).split(MARK)
    return Markup(
        "".join(part if i % 2 == 0 else escape(values[part]) for i, part in enumerate(parts))
    )


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"site_header": site_header})
