"""The audit page's filter: the query string as the service's `EventFilter`, and what is wrong with it said
with the form's own labels (a malformed date or an unknown outcome is a message on the page, not a 500).

Dates are whole days in UTC, both ends included: "from 3 May to 3 May" is the events of 3 May.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from caregate.service.audit import OUTCOMES
from caregate.store.audit_repo import EventFilter

FIELDS = ("member", "from", "to", "action", "outcome", "patient", "object_type", "object_id")
ID = re.compile(r"^[A-Za-z0-9_]{1,40}$")
ACTION = re.compile(r"^[a-z0-9_.*]{1,60}$")
OBJECT_TYPE = re.compile(r"^[a-z0-9_]{1,40}$")
LABELS = {"member": "Member", "from": "From", "to": "To", "action": "Action", "outcome": "Outcome",
          "patient": "Patient", "object_type": "Object type", "object_id": "Object id"}


@dataclass
class AuditQuery:
    """What the form sent (kept as typed, to show it again), the filter it means, and its problems."""

    values: dict[str, str]
    filters: EventFilter = field(default_factory=EventFilter)
    after: str | None = None
    problems: list[str] = field(default_factory=list)

    def query_string(self, **extra: str) -> str:
        """The filter as a query string (empty fields left out), for links that keep it."""
        return urlencode({**{k: v for k, v in self.values.items() if v}, **extra})


def _day(q: AuditQuery, name: str) -> date | None:
    text = q.values[name]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        q.problems.append(f"{LABELS[name]}: “{text}” is not a date. Pick one from the calendar, or type it as "
                          "YYYY-MM-DD (for example 2026-05-03).")
        return None


def _checked(q: AuditQuery, name: str, pattern: re.Pattern[str], hint: str) -> str | None:
    text = q.values[name]
    if text and not pattern.match(text):
        q.problems.append(f"{LABELS[name]}: “{text}” {hint}")
        return None
    return text or None


def parse(params: Mapping[str, str]) -> AuditQuery:
    q = AuditQuery({name: str(params.get(name, "")).strip()[:100] for name in FIELDS})
    member = _checked(q, "member", ID, "is not a member of this organisation; choose one from the list.")
    start, end = _day(q, "from"), _day(q, "to")
    if start and end and start > end:
        q.problems.append("From: the first day is after the last one (To); swap them.")
    action = _checked(q, "action", ACTION, "is not an action: use lower-case letters, digits and _ . * only, "
                      "e.g. patients.read, or patients. for every patient action.")
    outcome = q.values["outcome"]
    if outcome and outcome not in OUTCOMES:
        q.problems.append(f"Outcome: “{outcome}” is not an outcome; choose {' or '.join(OUTCOMES)}.")
    patient = _checked(q, "patient", ID, "is not a patient id (letters, digits and _, e.g. pat_1a2b).")
    object_type = _checked(q, "object_type", OBJECT_TYPE, "is not an object type (e.g. patients, sessions).")
    after = str(params.get("after", ""))
    if after and not (after.isdigit() and len(after) <= 20):
        q.problems.append("The page asked for does not exist; start again from the newest events.")
    if q.problems:
        return q
    q.after = after or None
    q.filters = EventFilter(
        member_id=member, action=action, outcome=outcome or None, patient_id=patient, object_type=object_type,
        object_id=q.values["object_id"][:80] or None,
        since=datetime.combine(start, time.min, tzinfo=UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC) if end else None)
    return q
