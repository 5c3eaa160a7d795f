"""Tables of identity and security policy: lockout and 2FA state, password history, recovery and email
codes, password resets, API keys and their usage. See caregate.identity and docs/security.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caregate.store.tables import ID, Base


class UserSecurity(Base):
    """Per person: failed logins and lock, and the (encrypted) TOTP seed."""

    __tablename__ = "user_security"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # until an Owner or Administrator unlocks
    totp_secret: Mapped[str | None] = mapped_column(Text)  # sealed with the server key; the confirmed seed
    totp_pending: Mapped[str | None] = mapped_column(Text)  # a new seed waiting for its first code
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    mfa_email: Mapped[bool] = mapped_column(Boolean, default=False)  # email codes chosen as the second factor
    updated_at: Mapped[datetime]


class PasswordHistory(Base):
    __tablename__ = "password_history"
    __table_args__ = (Index("ix_password_history_user", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user", "user_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class EmailCode(Base):
    """A one-time login code sent by email for one login session."""

    __tablename__ = "email_codes"
    __table_args__ = (Index("ix_email_codes_token", "token_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_id: Mapped[str] = mapped_column(ForeignKey("auth_tokens.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None]


class PasswordReset(Base):
    __tablename__ = "password_resets"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(ID)  # an administrator's member id, or None for "forgot"


class ApiKey(Base):
    """A service account's key: a visible prefix, a secret stored as its hash, scopes, expiry, rotation."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_member", "membership_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(ID)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    rotated_to: Mapped[str | None] = mapped_column(ID)
    last_used_at: Mapped[datetime | None]


class ApiKeyUsage(Base):
    __tablename__ = "api_key_usage"

    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    count: Mapped[int] = mapped_column(Integer, default=0)
