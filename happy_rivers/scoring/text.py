"""Texts scoring writes (explanations, reasons, field errors) that the pages can show in English.

Scoring is pure Python and writes Chinese, as the contract says (docs/scoring.md): results are
stored, exported and sent by the API in Chinese. A `Text` *is* that Chinese string — stored,
compared and serialized like any other — and also keeps its message id and values, so
views/i18n.py can translate it at render time through the English catalog, values included:

    Text("请填写「%(name)s」", name=Named(ind.name, ind.name_en))   # == "请填写「防洪达标率」"

Message ids are Chinese with %(name)s placeholders (a literal % is written %%); `make
translations` finds them (`Text` is one of its extraction keywords). `Named` is a name from the
rubric file with its `*_en` twin, `Joined` a list (、). None of them needs Flask: the views
translate.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a Chinese text shown later through gettext (a label table's value); returns it."""
    return message


class Text(str):
    """A Chinese text made from a message id and values; translated by views.i18n.translate."""

    msgid: str
    values: dict

    def __new__(cls, msgid: str, **values) -> Text:
        text = super().__new__(cls, msgid % values)
        text.msgid = msgid
        text.values = values
        return text

    @classmethod
    def formatted(cls, text: str, msgid: str, values: dict) -> Text:
        """A Text whose Chinese the caller already wrote (msgid % values): for hot paths."""
        made = super().__new__(cls, text)
        made.msgid = msgid
        made.values = values
        return made

    def __reduce__(self):  # pickled (e.g. by a cache) with its message id and values
        return (_text, (self.msgid, self.values))


def _text(msgid: str, values: dict) -> Text:
    return Text(msgid, **values)


class Named(str):
    """A rubric name (Chinese) that knows its English from the rubric file's `*_en` field."""

    en: str

    def __new__(cls, zh: str, en: str | None = None) -> Named:
        name = super().__new__(cls, zh)
        name.en = en or zh
        return name

    def __reduce__(self):
        return (Named, (str(self), self.en))


def named(ind) -> Named:
    """A rubric item's name (an indicator, a dimension, a gate) with its English."""
    return Named(ind.name, ind.name_en)


def quoted(ind) -> Text:
    """「name」: how messages name an indicator."""
    return Text("「%(name)s」", name=named(ind))


class Joined(str):
    """Items joined the Chinese way (、); in English they are joined with ", "."""

    items: list

    def __new__(cls, items) -> Joined:
        items = list(items)
        joined = super().__new__(cls, "、".join(items))
        joined.items = items
        return joined

    def __reduce__(self):
        return (Joined, (self.items,))
