"""Idempotency keys: a client-made key per operation is applied at most once per user.

A phone that lost its signal cannot know whether its save arrived; it sends it again, maybe
from two tabs at once. The key row is written in the same transaction as the effect (the new
assessment, the version bump, the audit row), so the effect and the record that it happened
commit together or not at all, and a repeat finds the record and gets the first answer back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlite_utils import Database

from happy_rivers import clock

from . import now, write

# How long a key is remembered: far longer than any device stays offline with a queued item.
KEEP_DAYS = 30


@dataclass(frozen=True)
class Answer:
    """The first answer to a keyed request, replayed as it was."""

    status: int
    location: str | None = None
    body: str | None = None  # JSON text (the API's body, or what a page showed)


class KeyReused(Exception):
    """The key was already used for a different request (another path, method or body)."""


def _find(db: Database, user_id: int, key: str, fingerprint: str) -> Answer | None:
    row = db.execute(
        "SELECT fingerprint, status, location, body FROM idempotency_keys "
        "WHERE user_id = ? AND key = ?",
        [user_id, key],
    ).fetchone()
    if row is None:
        return None
    if row[0] != fingerprint:
        raise KeyReused(key)
    return Answer(row[1], row[2], row[3])


def replay(db: Database, user_id: int, key: str, fingerprint: str) -> Answer | None:
    """The first answer if this key was applied, else None. Raises KeyReused.

    Call it after reading the state the request acts on: the key commits with its effect, so
    a state that already shows the effect always comes with a visible key.
    """
    return _find(db, user_id, key, fingerprint)


def apply_once(
    db: Database,
    *,
    user_id: int,
    key: str,
    fingerprint: str,
    effect: Callable[[], Answer],
) -> tuple[Answer, bool]:
    """Run effect() and remember its answer under the key, in one write transaction.

    Returns (answer, replayed). BEGIN IMMEDIATE serializes writers, so of two racing requests
    with one key the second waits, then finds the first's row and replays its answer. An
    exception from effect() rolls everything back and remembers nothing: the key stays unused
    and a retry runs again.
    """
    with write(db):
        prior = _find(db, user_id, key, fingerprint)
        if prior is not None:
            return prior, True
        answer = effect()
        stamp = now()
        purge(db, before=stamp)  # opportunistic: an indexed range, usually empty
        # plain SQL: sqlite-utils' Table.insert looks the table up in sqlite_master three times
        # and wraps the row in a savepoint of its own, on every keyed write
        db.execute(
            "INSERT INTO idempotency_keys "
            "(user_id, key, fingerprint, status, location, body, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [user_id, key, fingerprint, answer.status, answer.location, answer.body, stamp],
        )
        return answer, False


def purge(db: Database, *, before: str | None = None, days: int = KEEP_DAYS) -> int:
    """Forget keys older than `days` (counted back from `before`, default now). Returns how many."""
    start = clock.parse(before) if before else clock.utc_now()
    cutoff = clock.stamp(start - timedelta(days=days))
    with write(db):
        return db.execute("DELETE FROM idempotency_keys WHERE created_at < ?", [cutoff]).rowcount
