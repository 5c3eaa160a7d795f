"""The chain's arithmetic: canonical event text, links, genesis, and what a signature covers.

An event's body is deterministic JSON (sorted keys, no whitespace, UTF-8, timestamps in UTC ISO 8601
with microseconds and "Z"). Its hash is SHA-256 over the previous event's hash, a newline, the body, and
(format 2, the body's "v") a newline and the event's searchable columns as a compact JSON array of
strings (`columns_text`), so changing, removing, inserting or moving any event, or editing a column
search relies on, changes every hash after it. The databases render that array themselves from the
row, byte for byte as Python does here, so verification never parses a body. Format 1 events (written
before format 2) hash the body alone; their columns are compared with the body instead. Each chain
starts from a genesis value derived from its name, so events cannot be spliced from one chain into
another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from caregate.store.audit import CHAINED

FORMAT = 1  # of the chain's genesis and signed heads
EVENT_FORMAT = 2  # of the events written now (the body's "v")
_CONTROL = dict.fromkeys((*range(32), 127), "�")


def timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be aware (UTC)")
    # the same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), several times faster
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _plain(value: Any) -> Any:
    """What json cannot write, written the one way the chain accepts."""
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


def canonical(document: Mapping[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=_plain)


def normalise(value: Any) -> Any:
    """The value as it reads back from its canonical text (so stored columns and body agree)."""
    return json.loads(canonical({"v": value}))["v"]


def clean(value: str) -> str:
    """A column value without control characters (they become U+FFFD): every database writes such a
    value inside a JSON string the same way, which keeps `columns_text` identical everywhere."""
    return value.translate(_CONTROL)


def column_time(at: str) -> str:
    """The body's time as the row's time reads back: "YYYY-MM-DD HH:MM:SS.ffffff" (UTC)."""
    return f"{at[:10]} {at[11:-1]}"


def columns_text(doc: Mapping[str, Any]) -> str:
    """The searchable columns a format 2 hash covers, from the event's fields (its body)."""
    values = [*(doc.get(c) for c in CHAINED[:-2]), str(doc["seq"]), column_time(str(doc["at"]))]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def genesis(chain: str) -> str:
    return hashlib.sha256(f"caregate-audit-v{FORMAT} genesis {chain}".encode()).hexdigest()


def link(prev_hash: str, body: str) -> str:
    """A format 1 hash: the previous hash and the body."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body.encode("utf-8")).hexdigest()


def link_columns(prev_hash: str, body: str, columns: str) -> str:
    """A format 2 hash: the previous hash, the body and the searchable columns."""
    return hashlib.sha256(f"{prev_hash}\n{body}\n{columns}".encode()).hexdigest()


def event_hash(prev_hash: str, body: str, doc: Mapping[str, Any]) -> str:
    """The hash of an event given its body text and fields, in the body's own format."""
    if doc.get("v") == 1:
        return link(prev_hash, body)
    return link_columns(prev_hash, body, columns_text(doc))


def head_message(chain: str, seq: int, head_hash: str) -> bytes:
    """What a signed head or checkpoint signs: this chain ended at this position with this hash."""
    return f"caregate-audit-v{FORMAT} head {chain} {seq} {head_hash}".encode("ascii")


def archive_message(manifest: Mapping[str, Any]) -> bytes:
    unsigned = {k: v for k, v in manifest.items() if k not in ("signature", "key_id")}
    return b"caregate-audit-archive " + canonical(unsigned).encode("utf-8")

