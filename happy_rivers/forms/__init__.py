"""WTForms classes. Every form derives from FlaskForm below, not from Flask-WTF's directly."""

from functools import cache

import flask_wtf
from babel import support
from flask_babel import get_locale
from wtforms.i18n import messages_path


@cache
def wtforms_translations(locale: str) -> support.Translations:
    """WTForms' own messages ("Not a valid choice.") in one language, parsed once per process.

    Flask-WTF parses WTForms' catalog again for every request that builds a form: 1.7 ms on
    the benchmark box, three times a whole trivial request, on every save and form view.
    Two languages: the cache stays two entries.
    """
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _CachedTranslations:
    def gettext(self, string: str) -> str:
        return wtforms_translations(str(get_locale() or "zh")).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return wtforms_translations(str(get_locale() or "zh")).ungettext(singular, plural, n)


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form (CSRF, request data), with WTForms' messages from the cache above."""

    class Meta(flask_wtf.FlaskForm.Meta):
        def get_translations(self, form):
            return _CachedTranslations()
