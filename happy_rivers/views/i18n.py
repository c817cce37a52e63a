"""Languages: zh-CN first, English second (Flask-Babel).

Message ids are the Chinese texts themselves, so the Chinese UI needs no catalog and an
untranslated string falls back to Chinese rather than to a code. The English catalog lives in
translations/en/LC_MESSAGES/messages.po; installing the package compiles it to the .mo read here
(setup.py; `make catalogs` after editing the .po), so the app never writes into its own
installation. README, "Translations", says how a string gets its English.
"""

from pathlib import Path

from flask import Flask, g, redirect, request, session, url_for
from flask_babel import Babel, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from happy_rivers import scoring
from happy_rivers.scoring.waterbodies import waterbody_kinds
from happy_rivers.store import panels
from happy_rivers.translations import current_language, translate

from .auth import safe_next

LANGUAGES = {"zh": "中文", "en": "English"}
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    lang = request.args.get("lang") or session.get("lang")
    return lang if lang in LANGUAGES else "zh"


def init_app(app: Flask) -> None:
    missing = [
        lang
        for lang in LANGUAGES
        if lang != "zh" and not (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").exists()
    ]
    if missing:
        # Flask-Babel would quietly show Chinese in English mode: say what is wrong instead.
        raise RuntimeError(
            f"no compiled catalog for {missing} in {TRANSLATIONS}: install the package "
            "(pip install . or make .venv/.installed) or run `make catalogs`"
        )
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
    app.jinja_env.globals["gettext"] = _template_gettext

    app.jinja_env.filters["tr"] = translate

    @app.context_processor
    def language_context():
        return {"current_lang": current_language(), "languages": LANGUAGES}

    @app.get("/lang/<lang>")
    def set_language(lang: str):
        if lang in LANGUAGES:
            session["lang"] = lang
        return redirect(safe_next(request.args.get("next")) or url_for("inspect.index"))


# (language, message id, autoescape) → the finished text of a `{{ _('…') }}` without values.
# A page asks for about sixty of them; through Jinja's newstyle wrapper each costs a catalog
# lookup, a Markup and a `%` every time. The catalogs never change in a running process, so
# the result is kept. Bounded: a template that translated data would otherwise grow it forever.
_constant_texts: dict[tuple[str, str, bool], str] = {}
CONSTANT_TEXTS_LIMIT = 20_000


@pass_context
def _template_gettext(context, string: str, **variables):
    """Jinja's newstyle `gettext` (jinja2.ext._make_new_gettext), the same text for the same
    call: the translation is Markup when autoescaping, and always a format string ("%%" is
    "%"), so that a text reads the same with and without values."""
    autoescape = context.eval_ctx.autoescape
    if not variables:
        key = (current_language(), string, autoescape)
        found = _constant_texts.get(key)
        if found is not None:
            return found
    text = _translations().ugettext(string)
    if autoescape:
        text = Markup(text)
    text = text % variables
    if not variables:
        if len(_constant_texts) >= CONSTANT_TEXTS_LIMIT:
            _constant_texts.clear()
        _constant_texts[key] = text
    return text


def _translations():
    try:
        return g._request_translations
    except AttributeError:
        g._request_translations = get_translations()
        return g._request_translations


def with_texts(assessment: dict, rubric, panel: dict | None = None) -> dict | None:
    """The assessment's stored result, its explanations and reasons able to show in English.

    The database holds them as plain Chinese strings; scoring the same answers again gives the
    same strings as scoring.text.Text, which know their message ids. Each stored string is
    swapped for the fresh one that reads the same (with and without the expert panel's points,
    whichever the result was scored with); a string that no longer matches — scored by an
    older rubric or rule — stays as stored. Chinese pages need none of this.
    """
    result = assessment.get("result")
    if not result or current_language() == "zh":
        return result
    texts: dict[str, str] = {}
    for panel_input in (None, panels.panel_input(panel) if panel else None):
        try:
            fresh = scoring.score(rubric, assessment["answers"], panel=panel_input)
        except scoring.InvalidAnswers:
            continue
        texts.update((str(t), t) for t in fresh.reasons)
        texts.update((str(i.explain), i.explain) for i in fresh.indicators.values())
    return result | {
        "reasons": [texts.get(r, r) for r in result.get("reasons", [])],
        "indicators": {
            code: i | {"explain": texts.get(i.get("explain"), i.get("explain"))}
            for code, i in result.get("indicators", {}).items()
        },
    }


def localized(zh: str, en: str | None) -> str:
    """Pick the rubric's Chinese or English name for the current language."""
    return en if en and current_language() == "en" else zh


def kind_labels() -> dict[str, str]:
    """Code → label of every kind of waterbody in the current language, in table order."""
    language = current_language()
    return {code: kind.label_for(language) for code, kind in waterbody_kinds().items()}
