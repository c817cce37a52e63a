"""The English catalog (en/LC_MESSAGES/messages.po) and the one marker for deferred messages.

`N_("…")` marks a Chinese text that is shown later through `_()` — the values of label tables
such as `STATUS_LABELS`, which templates translate at render time (`_(STATUS_LABELS[status])`).
It returns the text unchanged, so the tables stay plain strings (scoring/ and the exports use
them as Chinese, and a catalog lookup needs the plain message id), while `make translations`
(pybabel extract; N_ is one of its default keywords) still finds them. See README, "Translations".
"""


def N_(message: str) -> str:
    return message
