"""Where rubric files and the waterbody kinds table are read from: the built-in folder
scoring/rubrics/, then the folders a deployment names in the RUBRIC_PATH setting.

A module of its own (no imports from the rest of scoring/) so that the rubric loader and the
waterbody kinds table can both ask it without importing each other.
"""

from collections.abc import Callable, Iterable
from pathlib import Path

RUBRIC_DIR = Path(__file__).parent / "rubrics"


class RubricError(ValueError):
    """A rubric file is malformed or missing."""


# the built-in folder first: a published rubric version never changes, so a deployment's folder
# can add rubrics (and waterbody kinds) but not shadow a built-in file
_folders: tuple[Path, ...] = (RUBRIC_DIR,)
# called when the folders change, so that what was read from the old ones (loaded rubrics, the
# waterbody kinds table) is read again
_forgetters: list[Callable[[], None]] = []


def on_change(forget: Callable[[], None]) -> None:
    _forgetters.append(forget)


def set_rubric_folders(extra: Iterable[str | Path] = ()) -> None:
    """Read rubrics from the built-in folder and then from `extra` (the RUBRIC_PATH setting).

    Each folder holds rubric files and may hold a `waterbody_kinds.toml` (scoring/waterbodies.py).
    """
    global _folders
    folders = (RUBRIC_DIR, *(Path(f) for f in extra if str(f).strip()))
    for folder in folders[1:]:
        if not folder.is_dir():
            raise RubricError(f"RUBRIC_PATH: 没有文件夹 {folder}")
    if folders != _folders:
        _folders = folders
        for forget in _forgetters:
            forget()


def rubric_folders() -> tuple[Path, ...]:
    return _folders
