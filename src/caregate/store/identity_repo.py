"""Queries of identity: sessions, lockout and 2FA state, codes, resets, API keys and their usage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from caregate.store.identity import (
    ApiKey,
    ApiKeyUsage,
    EmailCode,
    PasswordHistory,
    PasswordReset,
    RecoveryCode,
    UserSecurity,
)
from caregate.store.repo import orgs_of_user
from caregate.store.tables import AuthToken, Membership, Organisation, User


def live_sessions(s: Session, *, user_id: str, now: datetime) -> list[AuthToken]:
    """The user's sessions that have not ended or expired, oldest first."""
    stmt = (select(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None),
                                    AuthToken.expires_at > now)
            .order_by(AuthToken.created_at, AuthToken.id))
    return list(s.scalars(stmt))


def user_security(s: Session, *, user_id: str, now: datetime, lock: bool = False) -> UserSecurity:
    """The person's lockout and 2FA state, created on first use."""
    stmt = select(UserSecurity).where(UserSecurity.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    row = s.scalars(stmt).one_or_none()
    if row is None:
        row = UserSecurity(user_id=user_id, failed_count=0, locked=False, mfa_email=False, updated_at=now)
        s.add(row)
        s.flush()
    return row


def security_states(s: Session, *, user_ids: Sequence[str]) -> dict[str, UserSecurity]:
    """The lockout and 2FA state of several people, read only (no row is created for those without one)."""
    if not user_ids:
        return {}
    return {row.user_id: row for row in s.scalars(select(UserSecurity).where(UserSecurity.user_id.in_(user_ids)))}


def active_memberships(s: Session, *, user_id: str) -> list[tuple[Organisation, Membership]]:
    return [(o, m) for o, m in orgs_of_user(s, user_id=user_id) if m.status == "active"]


def password_history(s: Session, *, user_id: str, limit: int) -> list[PasswordHistory]:
    stmt = (select(PasswordHistory).where(PasswordHistory.user_id == user_id)
            .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc()).limit(limit))
    return list(s.scalars(stmt))


def recovery_codes(s: Session, *, user_id: str) -> list[RecoveryCode]:
    return list(s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id)))


def replace_recovery_codes(s: Session, *, user_id: str, rows: Sequence[RecoveryCode]) -> None:
    s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    s.add_all(rows)


def email_codes(s: Session, *, token_id: str) -> list[EmailCode]:
    stmt = select(EmailCode).where(EmailCode.token_id == token_id).order_by(EmailCode.created_at.desc())
    return list(s.scalars(stmt))


def reset_by_hash(s: Session, *, token_hash: str) -> PasswordReset | None:
    return s.scalars(select(PasswordReset).where(PasswordReset.token_hash == token_hash)).one_or_none()


def api_key_by_prefix(s: Session, *, prefix: str) -> ApiKey | None:
    return s.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()


def api_keys_of(s: Session, *, org_id: str, member_id: str) -> list[ApiKey]:
    stmt = (select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.membership_id == member_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))
    return list(s.scalars(stmt))


def touch_key(s: Session, *, key_id: str, at: datetime) -> None:
    s.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))


def count_key_use(s: Session, *, key_id: str, day: str) -> None:
    """Add one to the key's count for the day (an upsert, safe under concurrent requests)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ApiKeyUsage).values(key_id=key_id, day=day, count=1)
    s.execute(stmt.on_conflict_do_update(index_elements=["key_id", "day"], set_={"count": ApiKeyUsage.count + 1}))


def key_usage(s: Session, *, key_ids: Sequence[str], since_day: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    if key_ids:
        stmt = select(ApiKeyUsage).where(ApiKeyUsage.key_id.in_(key_ids), ApiKeyUsage.day >= since_day)
        for row in s.scalars(stmt):
            out[row.key_id][row.day] = row.count
    return out


def service_accounts(s: Session, *, org_id: str) -> list[tuple[Membership, User]]:
    stmt = (select(Membership, User).join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org_id, User.kind == "service").order_by(User.name))
    return [(row[0], row[1]) for row in s.execute(stmt).all()]
