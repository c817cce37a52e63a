"""Thin blueprints: they glue forms, store and scoring together and render templates."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import auth, helpers, i18n, inspect, review

    i18n.init_app(app)
    auth.init_app(app)
    helpers.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(inspect.bp)
    app.register_blueprint(review.bp)
