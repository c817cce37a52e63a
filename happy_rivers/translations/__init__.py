"""The English catalog (en/LC_MESSAGES/messages.po) and the one marker for deferred messages.

`N_("…")` marks a Chinese text that is shown later through `_()` — the values of label tables
such as `STATUS_LABELS`, which templates translate at render time (`_(STATUS_LABELS[status])`).
It returns the text unchanged, so the tables stay plain strings (scoring/ and the exports use
them as Chinese, and a catalog lookup needs the plain message id), while `make translations`
(pybabel extract; N_ is one of its default keywords) still finds them. `translate` shows
scoring's texts (happy_rivers.scoring.text) in the request's language. See README,
"Translations".
"""

from flask import g
from flask_babel import get_locale, get_translations

from happy_rivers.scoring.text import N_, Joined, Named, Text

__all__ = ["N_", "current_language", "translate"]  # N_ lives with scoring's texts (no Flask)


def current_language() -> str:
    """ "zh" or "en", looked up once per app context. Flask-Babel keeps the locale too, but
    reaching it costs ~5 µs, and a page asks dozens of times (every text from scoring)."""
    try:
        return g._request_language
    except AttributeError:
        g._request_language = str(get_locale() or "zh")
        return g._request_language


def translate(value):
    """A text from scoring (happy_rivers.scoring.text) in the request's language, its values
    translated too; any other value unchanged (data, or a text stored without its message id).

    Templates use it as the `tr` filter (views/i18n.py); Python that writes HTML calls it.
    """
    if not isinstance(value, str) or current_language() == "zh":
        return value
    if isinstance(value, Named):
        return value.en
    if isinstance(value, Joined):
        return ", ".join(translate(item) for item in value.items)
    if isinstance(value, Text):
        values = {key: translate(item) for key, item in value.values.items()}
        return get_translations().ugettext(value.msgid) % values
    return value
