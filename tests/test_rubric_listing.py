"""The rubric files on disk are listed once while their folders stay unchanged
(scoring/rubric.py _rubric_files), and a version added later is seen at once."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from happy_rivers.scoring import rubric
from happy_rivers.scoring.folders import RUBRIC_DIR, rubric_folders, set_rubric_folders


@pytest.fixture
def extra_folder(tmp_path):
    before = rubric_folders()
    set_rubric_folders([tmp_path])
    yield tmp_path
    set_rubric_folders([str(f) for f in before[1:]])


def settled(folder) -> None:
    """Date the folder two seconds back, as if it had been still since (no sleeping)."""
    past = time.time() - 2
    os.utime(folder, (past, past))


def test_a_still_folder_is_listed_once(extra_folder, monkeypatch):
    settled(extra_folder)
    settled(RUBRIC_DIR)
    listed = []
    real = rubric._list_rubric_files
    monkeypatch.setattr(rubric, "_list_rubric_files", lambda *a: listed.append(a[1]) or real(*a))
    first = rubric.available_versions("cq-river")
    assert rubric.available_versions("cq-river") == first
    assert listed == ["cq-river-*.toml"]


def test_a_version_added_later_is_seen_at_once(extra_folder):
    settled(extra_folder)
    versions = rubric.available_versions("cq-river")
    newer = f"{int(versions[-1].split('.')[0]) + 1}.1"
    shutil.copy(
        RUBRIC_DIR / f"cq-river-{versions[-1]}.toml", extra_folder / f"cq-river-{newer}.toml"
    )
    assert rubric.available_versions("cq-river") == [*versions, newer]
    # and a second one in the same instant (the folder's time may not move between the two)
    newest = f"{int(versions[-1].split('.')[0]) + 1}.2"
    shutil.copy(
        RUBRIC_DIR / f"cq-river-{versions[-1]}.toml", extra_folder / f"cq-river-{newest}.toml"
    )
    assert rubric.available_versions("cq-river") == [*versions, newer, newest]
    (extra_folder / f"cq-river-{newest}.toml").unlink()
    assert rubric.available_versions("cq-river") == [*versions, newer]
