"""Export formats: CSV (one row per event), JSON Lines (each event with its hash), FHIR AuditEvent NDJSON.

JSON Lines use the archive's line format, `{"event": <canonical body>, "hash": ...}`, so an exported
range can be re-linked and compared with the chain. CSV cells that a spreadsheet would run as a
formula (starting with = + - @ or a tab) get a leading apostrophe: a user agent or a name is attacker
controlled, and an auditor opens the file in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from caregate.audit import fhir
from caregate.audit.log import patients_named

FORMATS = {"csv": "text/csv", "jsonl": "application/x-ndjson", "fhir": "application/fhir+ndjson"}
COLUMNS = ("seq", "id", "at", "action", "outcome", "actor_user_id", "actor_member_id", "on_behalf_of",
           "object_type", "object_id", "patient_id", "purpose", "ip", "user_agent", "request_id", "reasons",
           "before", "after", "detail", "hash")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return "'" + text if text.startswith(FORMULA) else text


def _csv_line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([_cell(v) for v in values])
    return buffer.getvalue()


def lines(fmt: str, events: Iterable[tuple[str, str]]) -> Iterator[str]:
    """Render (body, hash) pairs, oldest first, as lines of the format (CSV starts with its header)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use {', '.join(FORMATS)}")
    if fmt == "csv":
        yield _csv_line(COLUMNS)
    for body, event_hash in events:
        if fmt == "jsonl":
            yield f'{{"event":{body},"hash":"{event_hash}"}}\n'
            continue
        event = json.loads(body)
        if fmt == "csv":
            yield _csv_line([*(event.get(c) for c in COLUMNS[:-1]), event_hash])
        else:
            patients = patients_named(event["action"], event.get("patient_id"), event.get("detail"))
            yield json.dumps(fhir.audit_event(event, patients), ensure_ascii=False, separators=(",", ":")) + "\n"
