"""Thin blueprints: they glue forms, store and scoring together and render templates."""

import importlib

from flask import Flask


def init_app(app: Flask) -> None:
    from . import (
        admin,
        api,
        auth,
        board,
        header,
        headers,
        helpers,
        i18n,
        inbox,
        inspect,
        panel,
        public,
        publicity,
        pwa,
        registry,
        report,
        review,
        rubrics,
        schedule,
        survey,
    )

    # imported for its effect: it adds the panel routes to api.bp before api.bp is registered
    importlib.import_module(f"{__name__}.api_panel")
    importlib.import_module(f"{__name__}.api_publicity")

    i18n.init_app(app)
    auth.init_app(app)
    helpers.init_app(app)
    headers.init_app(app)
    panel.init_app(app)
    header.init_app(app)
    for module in (
        auth,
        inspect,
        review,
        panel,
        board,
        admin,
        report,
        api,
        pwa,
        rubrics,
        registry,
        inbox,
        schedule,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(publicity.bp)
    app.register_blueprint(survey.bp)
    # the API authenticates with bearer tokens, not cookies, so CSRF does not apply to it
    auth.csrf.exempt(api.bp)
    helpers.check_urls_are_plain(app)
