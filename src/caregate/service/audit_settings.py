"""An organisation's audit settings: retention, fresh sign-in for exports, alert thresholds, webhook.

Kept in their own table with their own endpoint rather than in the organisation's settings: they are
read on every audited write (alerts), and the webhook secret must never be shown with the rest.
"""

from __future__ import annotations

import secrets
from datetime import time
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from caregate.engine import Action, Feature
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid
from caregate.service.views import View
from caregate.store import audit_repo, audit_write
from caregate.store.audit import AuditSettingsRow


class AuditSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retention_days: int = Field(default=2190, ge=30, le=36500,
                                description="events older than this are archived to a file, then removed")
    export_reauth_minutes: int = Field(default=15, ge=1, le=1440,
                                       description="an export needs a sign-in at most this many minutes old")
    failed_login_threshold: int = Field(default=5, ge=1, le=10000)
    failed_login_minutes: int = Field(default=10, ge=1, le=1440)
    bulk_access_patients: int = Field(default=50, ge=1, le=100000,
                                      description="alert when one member touches more distinct patients than this")
    bulk_access_minutes: int = Field(default=60, ge=1, le=1440)
    off_hours_alerts: bool = False
    business_hours_start: time = time(7, 0)
    business_hours_end: time = time(19, 0)
    business_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6], max_length=7,
                                     description="ISO weekdays the clinic is open (1 = Monday)")
    timezone: str = "UTC"
    email_alerts: bool = True
    webhook_url: str | None = Field(default=None, max_length=500)

    @field_validator("business_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(not 1 <= d <= 7 for d in value):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Oslo") from None
        return value

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if not value:
            return None
        url = urlparse(value)
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ValueError("the webhook must be an https:// URL")
        if url.scheme == "http" and not _loopback(url.hostname):
            raise ValueError("the webhook must use https (plain http only to this machine, for testing)")
        return value

    @model_validator(mode="after")
    def _hours(self) -> AuditSettings:
        if self.business_hours_start == self.business_hours_end:
            raise ValueError("business hours must not start and end at the same time")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class AuditSettingsView(View):
    settings: AuditSettings
    webhook_secret_set: bool
    webhook_secret: str | None = Field(default=None, description="shown once, when it is created or rotated")


def load(uow: UnitOfWork, org_id: str) -> AuditSettings:
    doc = audit_write.settings_of(uow.session, org_id=org_id)
    return AuditSettings.model_validate(doc) if doc is not None else AuditSettings()


def _view(row: AuditSettingsRow | None, fresh_secret: str | None = None) -> AuditSettingsView:
    settings = AuditSettings.model_validate(row.settings) if row else AuditSettings()
    return AuditSettingsView(settings=settings, webhook_secret_set=bool(row and row.webhook_secret),
                             webhook_secret=fresh_secret)


def get(uow: UnitOfWork, actor: Actor) -> AuditSettingsView:
    authorize(uow, actor, Action.READ, resources.org_object(Feature.AUDIT, actor.org_id))
    return _view(audit_repo.get_settings_row(uow.session, org_id=actor.org_id))


def update(uow: UnitOfWork, actor: Actor, *, changes: dict[str, Any], rotate_secret: bool = False
           ) -> AuditSettingsView:
    """Apply a partial change; a webhook gets a signing secret, shown in this answer only."""
    row = audit_repo.get_settings_row(uow.session, org_id=actor.org_id, lock=True)
    before = AuditSettings.model_validate(row.settings) if row else AuditSettings()
    try:
        after = AuditSettings.model_validate({**before.model_dump(mode="json"), **changes})
    except ValidationError as exc:
        raise Invalid("audit settings are not valid", [f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                                        for e in exc.errors()]) from None
    authorize(uow, actor, Action.EDIT, resources.org_object(Feature.SETTINGS, actor.org_id))
    if row is None:
        row = AuditSettingsRow(org_id=actor.org_id, settings={}, updated_at=uow.now)
        audit_repo.add_settings_row(uow.session, row)
    fresh = None
    if after.webhook_url and (rotate_secret or not row.webhook_secret):
        fresh = secrets.token_urlsafe(32)
        row.webhook_secret = fresh
    row.settings = after.model_dump(mode="json")
    row.updated_at = uow.now
    uow.record("settings.audit_updated", org_id=actor.org_id, actor=actor, object_type="settings",
               object_id=actor.org_id, before=before.model_dump(mode="json"), after=after.model_dump(mode="json"),
               detail={"webhook_secret_rotated": fresh is not None})
    return _view(row, fresh)
