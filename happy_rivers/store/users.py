"""Users, their sign-in sessions and API tokens. Passwords, session ids and tokens are stored
hashed only."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, has_app_context
from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from happy_rivers import clock
from happy_rivers.translations import N_

from . import audit, notifications, now, write
from .waterbodies import resolve_district

ROLES = ("inspector", "reviewer", "admin", "expert")

MIN_PASSWORD = 10
MAX_PASSWORD = 200
# zxcvbn's score: 3 = "safely unguessable: moderate protection from an offline attack"
# (about 10^8 guesses or more). Common passwords and their usual variants score 0 to 2.
MIN_PASSWORD_SCORE = 3
# The texts the views show for a refused password (translated there; N_ marks them for the
# catalog).
PASSWORD_RULES = {
    "short": N_("密码至少 10 位"),
    "long": N_("密码不能超过 200 位"),
    "username": N_("密码不能与用户名相同"),
    "common": N_("密码太常见或太容易猜到：请换一个更长、更不规则的密码"),
}
# A session nobody signed out of ends after this long all the same.
SESSION_LIFETIME = timedelta(days=30)
# An API token's last use is noted at most this often: not a write on every request.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


class UserError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def get(db: Database, user_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def by_username(db: Database, username: str) -> dict | None:
    """Case-insensitive (ASCII), like the unique index idx_users_username_nocase."""
    rows = list(db.query("SELECT * FROM users WHERE username = ? COLLATE NOCASE", [username]))
    return rows[0] if rows else None


def password_problem(password: str | None, username: str) -> str | None:
    """Why a new password is refused (a PASSWORD_RULES text), or None when it is acceptable."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return PASSWORD_RULES["short"]
    if len(password) > MAX_PASSWORD:
        return PASSWORD_RULES["long"]
    if password.strip().casefold() == (username or "").strip().casefold():
        return PASSWORD_RULES["username"]
    # imported here, not at the top: its word lists take ~10 MB in every worker that loads
    # them, and only a password change or a new account needs them
    from zxcvbn import zxcvbn

    # zxcvbn only looks at the first 100 characters; enough for any guessable password
    if zxcvbn(password[:100], user_inputs=[username])["score"] < MIN_PASSWORD_SCORE:
        return PASSWORD_RULES["common"]
    return None


def list_users(db: Database) -> list[dict]:
    return list(
        db.query(
            "SELECT u.*, d.name AS district_name FROM users u "
            "LEFT JOIN districts d ON d.code = u.district_code ORDER BY u.role, u.username"
        )
    )


def _check_role(db: Database, role: str, district: str | None, errors: dict) -> str | None:
    """The rules for a role and its district (create and update alike): the district code, with
    any problem added to errors."""
    if role not in ROLES:
        errors["role"] = (
            "角色须为 inspector（区县检查员）、reviewer（市级审核员）、admin（管理员）"
            "或 expert（验收专家）"
        )
    district_code = resolve_district(db, district)
    if role == "inspector" and not district_code:
        errors["district"] = (
            "区县检查员必须绑定一个区县（名称或代码）" if not district else f"没有区县 {district}"
        )
    return district_code


def create(
    db: Database,
    username: str,
    password: str,
    role: str,
    district: str | None = None,
    display_name: str | None = None,
    actor: dict | None = None,
    ip: str | None = None,
) -> int:
    errors = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = "请填写用户名"
    elif by_username(db, username):
        errors["username"] = f"用户名 {username} 已存在"
    district_code = _check_role(db, role, district, errors)
    problem = password_problem(password, username)
    if problem:
        errors["password"] = problem
    if errors:
        raise UserError(errors)
    with write(db):
        user_id = (
            db["users"]
            .insert(
                {
                    "username": username,
                    "display_name": display_name or username,
                    "password_hash": hash_password(password),
                    "role": role,
                    "district_code": district_code if role == "inspector" else None,
                    "active": 1,
                    "created_at": now(),
                    # they hear of what happens from now on, not of earlier submissions
                    "broadcasts_seen": notifications.latest_broadcast(db, role),
                }
            )
            .last_pk
        )
        audit.record(
            db,
            "user_created",
            user=actor,
            ip=ip,
            entity="user",
            entity_id=user_id,
            after={"username": username, "role": role, "district_code": district_code},
        )
    return user_id


def set_active(
    db: Database, user_id: int, active: bool, actor: dict, ip: str | None = None
) -> None:
    with write(db):
        before = get(db, user_id)
        db["users"].update(user_id, {"active": int(active)})
        if not active:
            # ended for good: activating the account again must not revive them
            _end_sessions(db, user_id)
        audit.record(
            db,
            "user_activated" if active else "user_deactivated",
            user=actor,
            ip=ip,
            entity="user",
            entity_id=user_id,
            before={"active": before["active"]},
            after={"active": int(active)},
        )


def update(
    db: Database,
    user_id: int,
    role: str,
    district: str | None,
    actor: dict,
    ip: str | None = None,
) -> None:
    """An administrator changes a user's role and district (the same rules as create)."""
    errors: dict[str, str] = {}
    district_code = _check_role(db, role, district, errors)
    if errors:
        raise UserError(errors)
    with write(db):
        before = get(db, user_id)
        after = {"role": role, "district_code": district_code if role == "inspector" else None}
        db["users"].update(user_id, after)
        if role != before["role"]:  # a new role's broadcasts count from now on
            db.execute(
                "UPDATE users SET broadcasts_seen = ? WHERE id = ?",
                [notifications.latest_broadcast(db, role), user_id],
            )
        audit.record(
            db,
            "user_updated",
            user=actor,
            ip=ip,
            entity="user",
            entity_id=user_id,
            before={k: before[k] for k in after},
            after=after,
        )


def change_password(
    db: Database, user: dict, password: str, *, keep_session: str | None, ip: str | None = None
) -> None:
    """The user's own new password: every other session of theirs ends, this one stays."""
    problem = password_problem(password, user["username"])
    if problem:
        raise UserError({"new_password": problem})
    with write(db):
        db["users"].update(
            user["id"],
            {"password_hash": hash_password(password), "must_change_password": 0},
        )
        _end_sessions(db, user["id"], keep=keep_session)
        audit.record(db, "password_changed", user=user, ip=ip, entity="user", entity_id=user["id"])


def reset_password(
    db: Database, user_id: int, password: str, actor: dict, ip: str | None = None
) -> None:
    """An administrator sets a temporary password: all the user's sessions end, and the user
    must choose a password of their own at the next sign-in."""
    problem = password_problem(password, get(db, user_id)["username"])
    if problem:
        raise UserError({"password": problem})
    with write(db):
        db["users"].update(
            user_id,
            {"password_hash": hash_password(password), "must_change_password": 1},
        )
        _end_sessions(db, user_id)
        audit.record(db, "password_reset", user=actor, ip=ip, entity="user", entity_id=user_id)


# -- sessions ----------------------------------------------------------------------------------


def _hash(secret: str) -> str:
    # Session ids and tokens are long random strings, so a fast hash is enough; it is what
    # lets us look them up, and a copy of the database holds no usable session or token.
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(
    db: Database, user: dict, ip: str | None = None, replaces: str | None = None
) -> str:
    """A new sign-in session (ending the one this browser had, if any): returns the random id
    for the (signed) session cookie."""
    session_id = secrets.token_urlsafe(32)
    cutoff = clock.stamp(clock.utc_now() - SESSION_LIFETIME)
    with write(db):
        # the user's long-expired sessions go now, so the table does not grow for ever
        db.execute(
            "DELETE FROM sessions WHERE (user_id = ? AND created_at <= ?) OR id = ?",
            [user["id"], cutoff, _hash(replaces) if replaces else None],
        )
        db["sessions"].insert(
            {"id": _hash(session_id), "user_id": user["id"], "created_at": now(), "ip": ip}
        )
        audit.record(db, "login", user=user, ip=ip, entity="user", entity_id=user["id"])
    return session_id


def user_for_session(db: Database, user_id: int, session_id: str) -> dict | None:
    """The user of a live session: one primary-key look-up on every signed-in request."""
    cutoff = clock.stamp(clock.utc_now() - SESSION_LIFETIME)
    rows = list(
        db.query(
            "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.id = ? AND s.user_id = ? AND s.created_at > ?",
            [_hash(session_id), user_id, cutoff],
        )
    )
    return rows[0] if rows else None


def end_session(db: Database, session_id: str | None, user: dict, ip: str | None = None) -> None:
    """Sign out: this session ends on the server, so a copy of its cookie is worthless."""
    with write(db):
        if session_id:
            db.execute("DELETE FROM sessions WHERE id = ?", [_hash(session_id)])
        audit.record(db, "logout", user=user, ip=ip, entity="user", entity_id=user["id"])


def _end_sessions(db: Database, user_id: int, keep: str | None = None) -> None:
    db.execute(
        "DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?",
        [user_id, _hash(keep) if keep else None],
    )


_dummy_hash: str | None = None
# How new passwords are hashed: werkzeug's default (scrypt) unless the app's PASSWORD_HASH_METHOD
# says otherwise. Only the test configuration lowers it — thousands of test users would otherwise
# spend most of the suite hashing. Stored hashes name their method, so they verify either way.
DEFAULT_HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    method = DEFAULT_HASH_METHOD
    if has_app_context():
        method = current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_HASH_METHOD)
    return generate_password_hash(password, method=method)


def check_password(user: dict | None, password: str) -> bool:
    """Whether the password is right. An unknown user costs the same hash check as a known one,
    so the answer's timing does not tell which usernames exist."""
    global _dummy_hash
    if not user:
        if _dummy_hash is None:
            _dummy_hash = hash_password(secrets.token_hex(16))
        check_password_hash(_dummy_hash, password or "")
        return False
    return check_password_hash(user["password_hash"], password or "")


def create_token(db: Database, user_id: int, name: str) -> str:
    token = "hr_" + secrets.token_urlsafe(32)
    with write(db):
        db["api_tokens"].insert(
            {
                "user_id": user_id,
                "name": name,
                "token_hash": _hash(token),
                "created_at": now(),
                "revoked": 0,
            }
        )
        audit.record(db, "token_created", user=get(db, user_id), entity="user", entity_id=user_id)
    return token


def list_tokens(db: Database, user_id: int) -> list[dict]:
    return list(
        db.query(
            "SELECT id, name, created_at, last_used_at, revoked FROM api_tokens "
            "WHERE user_id = ? ORDER BY revoked, id DESC",
            [user_id],
        )
    )


def revoke_token(db: Database, user: dict, token_id: int, ip: str | None = None) -> bool:
    """Revoke one of the user's own tokens; False when they have no such live token."""
    with write(db):
        changed = db.execute(
            "UPDATE api_tokens SET revoked = 1 WHERE id = ? AND user_id = ? AND revoked = 0",
            [token_id, user["id"]],
        ).rowcount
        if changed:
            audit.record(
                db,
                "token_revoked",
                user=user,
                ip=ip,
                entity="user",
                entity_id=user["id"],
                after={"token_id": token_id},
            )
    return bool(changed)


def user_for_token(db: Database, token: str) -> dict | None:
    """The active user a live token belongs to; notes the token's use (at most once a minute,
    so a busy client does not turn every read into a write)."""
    rows = list(
        db.query(
            "SELECT u.*, t.id AS token_id, t.last_used_at AS token_last_used_at "
            "FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = ? AND t.revoked = 0 AND u.active = 1",
            [_hash(token)],
        )
    )
    if not rows:
        return None
    row = rows[0]
    token_id, last_used = row.pop("token_id"), row.pop("token_last_used_at")
    at, previous = clock.utc_now(), clock.parse(last_used)
    if previous is None or at - previous >= TOKEN_TOUCH_INTERVAL:
        with write(db):
            db["api_tokens"].update(token_id, {"last_used_at": clock.stamp(at)})
    return row
