"""Users and API tokens. Passwords and tokens are stored hashed only."""

import hashlib
import secrets

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit, now, write

ROLES = ("inspector", "reviewer", "admin", "expert")


class UserError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def get(db: Database, user_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def by_username(db: Database, username: str) -> dict | None:
    rows = list(db.query("SELECT * FROM users WHERE username = ?", [username]))
    return rows[0] if rows else None


def list_users(db: Database) -> list[dict]:
    return list(
        db.query(
            "SELECT u.*, d.name AS district_name FROM users u "
            "LEFT JOIN districts d ON d.code = u.district_code ORDER BY u.role, u.username"
        )
    )


def resolve_district(db: Database, name_or_code: str | None) -> str | None:
    if not name_or_code:
        return None
    rows = list(
        db.query(
            "SELECT code FROM districts WHERE code = ? OR name = ?", [name_or_code, name_or_code]
        )
    )
    return rows[0]["code"] if rows else None


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
    if not password or len(password) < 8:
        errors["password"] = "密码至少 8 位"
    if errors:
        raise UserError(errors)
    with write(db):
        user_id = (
            db["users"]
            .insert(
                {
                    "username": username,
                    "display_name": display_name or username,
                    "password_hash": generate_password_hash(password),
                    "role": role,
                    "district_code": district_code if role == "inspector" else None,
                    "active": 1,
                    "created_at": now(),
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


_dummy_hash: str | None = None


def check_password(user: dict | None, password: str) -> bool:
    """Whether the password is right. An unknown user costs the same hash check as a known one,
    so the answer's timing does not tell which usernames exist."""
    global _dummy_hash
    if not user:
        if _dummy_hash is None:
            _dummy_hash = generate_password_hash(secrets.token_hex(16))
        check_password_hash(_dummy_hash, password or "")
        return False
    return check_password_hash(user["password_hash"], password or "")


def _token_hash(token: str) -> str:
    # Tokens are long random strings, so a fast hash is enough; it is what lets us look them up.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Database, user_id: int, name: str) -> str:
    token = "hr_" + secrets.token_urlsafe(32)
    with write(db):
        db["api_tokens"].insert(
            {
                "user_id": user_id,
                "name": name,
                "token_hash": _token_hash(token),
                "created_at": now(),
                "revoked": 0,
            }
        )
        audit.record(db, "token_created", user=get(db, user_id), entity="user", entity_id=user_id)
    return token


def user_for_token(db: Database, token: str) -> dict | None:
    rows = list(
        db.query(
            "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = ? AND t.revoked = 0 AND u.active = 1",
            [_token_hash(token)],
        )
    )
    return rows[0] if rows else None
