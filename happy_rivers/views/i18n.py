"""Languages: zh-CN first, English second (Flask-Babel).

Message ids are the Chinese texts themselves, so the Chinese UI needs no catalog and an
untranslated string falls back to Chinese rather than to a code. The English catalog lives in
translations/en/LC_MESSAGES/messages.po and is compiled to .mo on start when it changed, so
there is no separate build step to forget.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, redirect, request, session, url_for
from flask_babel import Babel, get_locale, get_translations

from .auth import safe_next

LANGUAGES = {"zh": "中文", "en": "English"}
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    lang = request.args.get("lang") or session.get("lang")
    return lang if lang in LANGUAGES else "zh"


def compile_catalogs() -> None:
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f)
        with mo_path.open("wb") as f:
            write_mo(f, catalog)


def init_app(app: Flask) -> None:
    compile_catalogs()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    # Flask-Babel looks the translations up again for every message, ~30 µs each on the
    # benchmark box: a third of the inspection form's render time. Flask-Babel already keeps
    # the locale for the whole app context in `g`, so the translations can be kept there too.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

    @app.context_processor
    def language_context():
        lang = str(get_locale() or "zh")
        return {"current_lang": lang, "languages": LANGUAGES}

    @app.get("/lang/<lang>")
    def set_language(lang: str):
        if lang in LANGUAGES:
            session["lang"] = lang
        return redirect(safe_next(request.args.get("next")) or url_for("inspect.index"))


def _translations():
    try:
        return g._request_translations
    except AttributeError:
        g._request_translations = get_translations()
        return g._request_translations


def current_language() -> str:
    """ "zh" or "en", looked up once per app context (like Flask-Babel's own locale)."""
    try:
        return g._request_language
    except AttributeError:
        g._request_language = str(get_locale() or "zh")
        return g._request_language


def localized(zh: str, en: str | None) -> str:
    """Pick the rubric's Chinese or English name for the current language."""
    return en if en and current_language() == "en" else zh
