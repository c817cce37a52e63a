"""Sign-in throttling: growing delays per (account, address) and per address.

Why this shape:
- Keyed by the address the attempt comes from, never by the account alone: wrong passwords
  typed by an attacker elsewhere must not lock the real user out (a lockout switch for anyone).
- Growing delays instead of a hard lock: a typo costs a second, a guessing run costs hours.
- Counted and decided in one BEGIN IMMEDIATE transaction *before* the slow password hash: the
  attempt is reserved as a failure up front and released when the password turns out right, so
  a burst of parallel attempts cannot all pass a check that none of them has recorded yet.
"""

import math
from datetime import datetime, timedelta

from sqlite_utils import Database

from happy_rivers import clock

from . import audit, write

# Failures allowed before the delays start, per scope. An address is shared by everyone behind
# the same NAT (or an unconfigured reverse proxy), so it gets more room than one account from it.
FREE_FAILURES = {"account": 5, "address": 20}
MAX_DELAY = timedelta(minutes=15)
# A counter starts again after this long without a failure.
FORGET_AFTER = timedelta(hours=1)
MAX_USERNAME = 200  # longer typed names are cut for the key; no real username is that long


def _keys(username: str, address: str | None) -> dict[str, str]:
    address = address or "unknown"
    return {"account": f"{address} {username.lower()[:MAX_USERNAME]}", "address": address}


def delay(excess: int, first_delay: float) -> timedelta:
    """The wait after the (free + excess)-th failure: first_delay, doubled each time, capped."""
    if excess >= 40:  # 2**40 seconds is past any cap; avoids huge numbers
        return MAX_DELAY
    return min(timedelta(seconds=first_delay * 2**excess), MAX_DELAY)


def _row(db: Database, scope: str, key: str) -> dict | None:
    rows = list(db.query("SELECT * FROM login_throttle WHERE scope = ? AND key = ?", [scope, key]))
    return rows[0] if rows else None


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def reserve(
    db: Database,
    username: str,
    address: str | None,
    *,
    first_delay: float = 1.0,
    now: datetime | None = None,
) -> int:
    """Reserve one password check: 0 when it may go ahead (it now counts as a failure until
    `succeeded` releases it), else the whole seconds to wait (the refusal is audited)."""
    now = now or clock.utc_now()
    keys = _keys(username, address)
    with write(db):
        rows = {scope: _row(db, scope, key) for scope, key in keys.items()}
        blocked = [
            _at(r["blocked_until"]) for r in rows.values() if r and r["blocked_until"] is not None
        ]
        wait = max(((b - now).total_seconds() for b in blocked), default=0)
        if wait > 0:
            audit.record(db, "login_throttled", ip=address, entity="login", entity_id=username)
            return math.ceil(wait)
        for scope, key in keys.items():
            row = rows[scope]
            fresh = row is None or now - _at(row["last_failure_at"]) > FORGET_AFTER
            failures = 1 if fresh else row["failures"] + 1
            excess = failures - FREE_FAILURES[scope]
            db["login_throttle"].upsert(
                {
                    "scope": scope,
                    "key": key,
                    "failures": failures,
                    "first_failure_at": now.isoformat() if fresh else row["first_failure_at"],
                    "last_failure_at": now.isoformat(),
                    "blocked_until": (now + delay(excess, first_delay)).isoformat()
                    if excess >= 0
                    else None,
                },
                pk=("scope", "key"),
            )
    return 0


def failed(
    db: Database,
    username: str,
    address: str | None,
    *,
    first_delay: float = 1.0,
    now: datetime | None = None,
) -> None:
    """The reserved check found a wrong password (already counted): audit it, and let a running
    delay start from now, so that it is not spent while the slow hash was being checked."""
    now = now or clock.utc_now()
    with write(db):
        audit.record(db, "login_failed", ip=address, entity="login", entity_id=username)
        for scope, key in _keys(username, address).items():
            row = _row(db, scope, key)
            excess = row["failures"] - FREE_FAILURES[scope] if row else -1
            if excess >= 0:
                db["login_throttle"].update(
                    (scope, key), {"blocked_until": (now + delay(excess, first_delay)).isoformat()}
                )


def succeeded(db: Database, username: str, address: str | None) -> None:
    """The reserved check found the right password: this account from this address starts
    afresh, and the address gets its reserved attempt back."""
    keys = _keys(username, address)
    with write(db):
        db.execute(
            "DELETE FROM login_throttle WHERE scope = 'account' AND key = ?", [keys["account"]]
        )
        db.execute(
            "UPDATE login_throttle SET failures = max(failures - 1, 0), "
            "blocked_until = CASE WHEN failures - 1 < ? THEN NULL ELSE blocked_until END "
            "WHERE scope = 'address' AND key = ?",
            [FREE_FAILURES["address"], keys["address"]],
        )
        # nothing left to remember: no row (a quiet site keeps an empty table)
        db.execute(
            "DELETE FROM login_throttle WHERE scope = 'address' AND key = ? AND failures = 0",
            [keys["address"]],
        )
