"""Alerts on what the audit trail sees: failed sign-in bursts, bulk access, off-hours access, break-glass.

Rules run when events are sealed, in the transaction that writes them (so an alert exists exactly when
its events do). An alert is stored, emailed to the organisation's active Owners and Administrators, and
posted to the organisation's webhook (after the commit, from a background thread, signed with
HMAC-SHA256), never twice for the same thing within the rule's window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from caregate.audit.log import Entry, patients_named
from caregate.engine import Action, Feature
from caregate.service import audience, mail, resources
from caregate.service.audit_settings import AuditSettings
from caregate.service.audit_settings import load as load_settings
from caregate.service.context import UnitOfWork
from caregate.store import audit_repo, audit_write
from caregate.store.audit import SYSTEM_CHAIN, AuditAlert
from caregate.store.ids import new_id

FAILED = ("auth.login_failed", "auth.mfa_failed")
LOCKOUT = "auth.lockout"
BREAK_GLASS = "break_glass.declare"  # taking emergency access; its review, end and reads alert nothing


@dataclass
class Raised:
    rule: str
    severity: str
    summary: str
    dedupe_key: str
    window: timedelta
    entry: Entry
    detail: dict[str, Any] = field(default_factory=dict)


def patients_of(entry: Entry) -> set[str]:
    r = entry.record
    return set(patients_named(r.action, r.patient_id, r.detail))


def _off_hours(settings: AuditSettings, moment: datetime) -> bool:
    local = moment.astimezone(settings.zone)
    start, end, now = settings.business_hours_start, settings.business_hours_end, local.time()
    inside = start <= now < end if start < end else (now >= start or now < end)
    return local.isoweekday() not in settings.business_days or not inside


def _failed_logins(uow: UnitOfWork, org_id: str, s: AuditSettings, entries: list[Entry]) -> Iterable[Raised]:
    failed = [e for e in entries if e.record.action in FAILED]
    for e in entries:
        if e.record.action == LOCKOUT:
            yield Raised("lockout", "high", f"an account was locked after repeated failed sign-ins "
                         f"({e.record.detail.get('email') or e.record.actor_user_id or 'unknown account'})",
                         f"lockout:{e.record.actor_user_id or e.id}", timedelta(minutes=s.failed_login_minutes), e)
    if not failed:
        return
    window = timedelta(minutes=s.failed_login_minutes)
    total = len(failed) + audit_repo.count_actions(uow.session, org_id=org_id, actions=FAILED, since=uow.now - window)
    if total >= s.failed_login_threshold:
        yield Raised("failed_logins", "high", f"{total} failed sign-ins in the last {s.failed_login_minutes} minutes",
                     "org", window, failed[-1], {"count": total, "minutes": s.failed_login_minutes})


def _bulk_access(uow: UnitOfWork, org_id: str, s: AuditSettings, entries: list[Entry]) -> Iterable[Raised]:
    window = timedelta(minutes=s.bulk_access_minutes)
    touched: dict[str, tuple[set[str], Entry]] = {}
    for e in entries:
        member = e.record.actor_member_id
        patients = patients_of(e) if e.record.outcome == "allowed" else set()
        if member and patients:
            known, _ = touched.get(member, (set(), e))
            touched[member] = (known | patients, e)
    for member, (patients, last) in sorted(touched.items()):  # one lock order for every writer
        # counted up to one past the threshold plus this batch: exact whenever the threshold is first crossed
        seen = audit_write.touch_patients(uow.session, org_id=org_id, member_id=member, patients=sorted(patients),
                                          now=uow.now, since=uow.now - window,
                                          cap=s.bulk_access_patients + 1 + len(patients))
        if seen > s.bulk_access_patients:
            yield Raised("bulk_access", "high", f"one member touched {seen} patients' records in "
                         f"{s.bulk_access_minutes} minutes (threshold {s.bulk_access_patients})",
                         f"member:{member}", window, last, {"patients": seen})


def _other_rules(org_id: str, s: AuditSettings, entries: list[Entry]) -> Iterable[Raised]:
    for e in entries:
        r = e.record
        if r.action == BREAK_GLASS:
            after = r.after or {}
            yield Raised("break_glass", "critical",
                         f"emergency access declared by member {r.actor_member_id} on patient {r.patient_id}"
                         + (f" until {after['until']}" if after.get("until") else ""),
                         f"event:{e.id}", timedelta(0), e,
                         {"purpose": r.purpose, "patient_id": r.patient_id, "access_id": after.get("access_id")})
        elif (s.off_hours_alerts and r.outcome == "allowed" and r.actor_member_id
              and (patients_of(e) or r.action == "auth.login") and _off_hours(s, r.at)):
            local = r.at.astimezone(s.zone)
            yield Raised("off_hours", "medium", f"access outside business hours ({local:%a %H:%M} {s.timezone})",
                         f"member:{r.actor_member_id}:{local.date()}", timedelta(days=1), e,
                         {"local_time": local.isoformat()})


def evaluate(uow: UnitOfWork, entries: Sequence[Entry]) -> list[str]:
    """Run the rules over the events being sealed; store, email and queue what they raise."""
    by_org: dict[str, list[Entry]] = {}
    for e in entries:
        if e.chain != SYSTEM_CHAIN and e.record.org_id:
            by_org.setdefault(e.record.org_id, []).append(e)
    raised_ids: list[str] = []
    for org_id, org_entries in sorted(by_org.items()):
        if not any(_may_alert(e) for e in org_entries):
            continue  # most events trigger nothing: do not read settings for them
        settings = load_settings(uow, org_id)
        found = [*_failed_logins(uow, org_id, settings, org_entries),
                 *_bulk_access(uow, org_id, settings, org_entries), *_other_rules(org_id, settings, org_entries)]
        for alert in found:
            if alert.window and audit_write.recent_alert(uow.session, org_id=org_id, rule=alert.rule,
                                                        dedupe_key=alert.dedupe_key, since=uow.now - alert.window):
                continue
            raised_ids.append(_store(uow, org_id, settings, alert))
    return raised_ids


def _may_alert(e: Entry) -> bool:
    action = e.record.action
    return action in FAILED or action in (LOCKOUT, BREAK_GLASS, "auth.login") or bool(patients_of(e))


def _store(uow: UnitOfWork, org_id: str, settings: AuditSettings, alert: Raised) -> str:
    r = alert.entry.record
    row = AuditAlert(id=new_id("alr"), org_id=org_id, rule=alert.rule, severity=alert.severity, at=uow.now,
                     summary=alert.summary[:300], member_id=r.actor_member_id, user_id=r.actor_user_id,
                     event_id=alert.entry.id, dedupe_key=alert.dedupe_key[:200],
                     detail={**alert.detail, "action": r.action, "ip": r.ip},
                     webhook_state="pending" if settings.webhook_url else "none", webhook_attempts=0)
    audit_repo.add_alert(uow.session, row)
    if settings.email_alerts:
        # whoever may read the audit log is told: the engine decides, as for any notification
        readers = audience.members_allowed(uow, org_id, Action.READ, resources.org_object(Feature.AUDIT, org_id))
        for address in sorted({user.email for _, user in readers}):
            mail.enqueue(uow, to=address, subject=f"[caregate] {alert.severity} alert: {alert.rule.replace('_', ' ')}",
                         body=f"{alert.summary}\n\nOrganisation: {org_id}\nWhen: {uow.now.isoformat()}\n"
                         f"Event: {alert.entry.id}\nSee the audit alerts at "
                         f"{uow.services.settings.public_url}/v1/orgs/{org_id}/audit/alerts",
                         kind="audit_alert", org_id=org_id)
    if settings.webhook_url:
        from caregate.service import audit_webhooks

        audit_webhooks.deliver_after_commit(uow)
    return row.id
