"""The pinyin forms of a waterbody name, stored beside it so search stays SQL (no Python scan).

后河 → spelled "houhe", initials "hh". Characters that are not Chinese (digits, Latin letters)
are kept, lower-cased, so 1号渠 → "1haoqu" / "1hq". A query is converted the same way, which
is what lets a mixed query such as 后he or h河 match.
"""

import re

_HAN = re.compile(r"([\u3400-\u9fff\uf900-\ufaff]+)")


def forms(text: str) -> tuple[str, str]:
    """(spelled, initials), from one conversion: imports convert thousands of names."""
    # imported here, not at the top: pypinyin's phrase dictionary takes ~45 MB in every worker
    # that loads it, and only a search or a changed name needs it, not a board, form or save
    from pypinyin import Style, lazy_pinyin

    spelled, initials = [], []
    for i, run in enumerate(_HAN.split(text)):
        if i % 2:  # a run of characters: phrases pick the reading (长寿 chang, 重庆 chong)
            syllables = lazy_pinyin(run, style=Style.NORMAL, strict=False)
            spelled.extend(syllables)
            initials.extend(s[:1] for s in syllables)
        else:
            kept = "".join(run.split()).lower()
            spelled.append(kept)
            initials.append(kept)
    return "".join(spelled), "".join(initials)


def spelled(text: str) -> str:
    return forms(text)[0]


def initials(text: str) -> str:
    return forms(text)[1]
