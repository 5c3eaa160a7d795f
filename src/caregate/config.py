"""Configuration, read from the environment (prefix CAREGATE_) or a .env file; see docs/operations.md."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE = Path("var") / "caregate.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREGATE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means the SQLite file at sqlite_path. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/caregate",
    )
    sqlite_path: Path = DEFAULT_SQLITE
    public_url: str = "http://127.0.0.1:8000"
    redis_url: str = ""
    smtp_url: str = Field(default="", description="smtp://user:pass@host:port or smtp+starttls://...; "
                          "empty: emails are written to the outbox table and the log only")
    mail_from: str = "caregate <no-reply@caregate.local>"
    token_ttl_minutes: int = Field(default=12 * 60, ge=1, le=60 * 24 * 30)
    invitation_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    trusted_proxies: list[str] = Field(default_factory=list, description="CIDRs of reverse proxies whose "
                                       "X-Forwarded-For is believed, e.g. [\"10.0.0.0/8\"]")
    cookie_secure: bool = True
    secret_key: str = Field(default="", description="base64 of 32 random bytes; encrypts TOTP seeds. Empty: "
                            "a key is generated into var/secret.key on first use (fine for one server)")
    secret_key_file: Path = Path("var") / "secret.key"
    login_ip_failures_per_15min: int = Field(default=50, ge=1, le=100_000)
    reset_ttl_minutes: int = Field(default=60, ge=5, le=24 * 60)
    login_failure_floor_ms: int = Field(default=1000, ge=0, le=10_000, description="a refused login answers no "
                                        "sooner than this, so its time does not tell why it was refused")
    argon2_time_cost: int = Field(default=3, ge=1, le=10)
    argon2_memory_kib: int = Field(default=65536, ge=1024, le=1048576)
    audit_key: str = Field(default="", description="Ed25519 key signing audit chain heads: base64 of the 32-byte "
                           "seed, or a PEM; empty: read (or create) audit_key_file")
    audit_key_file: Path | None = Field(default=None, description="PEM file of the audit signing key; "
                                        "default audit-key.pem beside the SQLite file (var/)")
    audit_trusted_keys: list[str] = Field(default_factory=list, description="public keys (base64) of earlier "
                                          "audit signing keys, so that their checkpoints still verify")
    audit_archive_dir: Path | None = Field(default=None, description="where retention writes audit archives; "
                                           "default audit-archive/ beside the SQLite file (var/)")
    audit_checkpoint_every: int = Field(default=1000, ge=1, le=1_000_000)
    audit_system_retention_days: int = Field(default=2190, ge=1, description="retention of the system chain "
                                             "(sign-ins of unknown accounts); organisations set their own")
    audit_webhook_allow_private: bool = Field(default=False, description="let alert webhooks reach loopback and "
                                              "private addresses (tests, an on-premises SIEM)")
    log_level: str = "INFO"
    log_json: bool = False

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("CAREGATE_DATABASE_URL must start with sqlite:// or postgresql+psycopg://")
        return value

    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.sqlite_path.parent / "audit-key.pem"

    def audit_archive_path(self) -> Path:
        return self.audit_archive_dir or self.sqlite_path.parent / "audit-archive"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
