"""Security headers on every response; no-store on what only a signed-in user or a token sees.

One small `after_request` hook rather than Flask-Talisman: every header here is a constant, and
Talisman's other duties (redirecting to HTTPS, HSTS) belong to the intranet's reverse proxy, which
terminates TLS; secure cookies follow `HTTPS = True` in views.auth.

The policy allows nothing inline ('unsafe-inline' is absent): scripts and styles come from
static/ only. Charts stay inline SVG, styled by static/css/charts.css (see views.charts). The
JSON data block of the inspection form (<script type="application/json">) is not executed, so
script-src does not apply to it. worker-src, manifest-src, connect-src and the data:/blob:
images are there for the offline service worker and web manifest.
"""

from flask import Flask, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # frame-ancestors for current browsers, X-Frame-Options for older ones: no clickjacking
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # links to other sites do not learn which assessment (id in the path) was open
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.update(SECURITY_HEADERS)
        if private() and "no-store" not in response.headers.get("Cache-Control", ""):
            # a shared computer's back button or disk cache must not show another user's data
            response.headers["Cache-Control"] = "no-store"
        return response


def private() -> bool:
    """Every API answer (token-scoped data, and its errors) and every page of a signed-in user;
    not the static files, which are the same for everyone and should be cached."""
    if request.blueprint == "api":
        return True
    if request.endpoint == "static" or request.blueprint == "rubrics":  # public rubric data too
        return False
    return current_user.is_authenticated
