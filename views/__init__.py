"""Thin blueprints: they glue forms, store and scoring together and render templates."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import (
        admin,
        api,
        auth,
        board,
        headers,
        helpers,
        i18n,
        inspect,
        pwa,
        report,
        review,
        rubrics,
    )

    i18n.init_app(app)
    auth.init_app(app)
    helpers.init_app(app)
    headers.init_app(app)
    for module in (auth, inspect, review, board, admin, report, api, pwa, rubrics):
        app.register_blueprint(module.bp)
    # the API authenticates with bearer tokens, not cookies, so CSRF does not apply to it
    auth.csrf.exempt(api.bp)
