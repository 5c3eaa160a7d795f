"""The chain's arithmetic: canonical event text, links, genesis, and what a signature covers.

An event's body is deterministic JSON (sorted keys, no whitespace, UTF-8, timestamps in UTC ISO 8601
with microseconds and "Z"). Its hash is SHA-256 over the previous event's hash, a newline and the body,
so changing, removing, inserting or moving any event changes every hash after it. Each chain starts
from a genesis value derived from its name, so events cannot be spliced from one chain into another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

FORMAT = 1


def timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be aware (UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def genesis(chain: str) -> str:
    return hashlib.sha256(f"caregate-audit-v{FORMAT} genesis {chain}".encode()).hexdigest()


def link(prev_hash: str, body: str) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body.encode("utf-8")).hexdigest()


def head_message(chain: str, seq: int, head_hash: str) -> bytes:
    """What a signed head or checkpoint signs: this chain ended at this position with this hash."""
    return f"caregate-audit-v{FORMAT} head {chain} {seq} {head_hash}".encode("ascii")


def archive_message(manifest: Mapping[str, Any]) -> bytes:
    unsigned = {k: v for k, v in manifest.items() if k not in ("signature", "key_id")}
    return b"caregate-audit-archive " + canonical(unsigned).encode("utf-8")


def relink(start_hash: str, bodies: Iterable[str]) -> str:
    current = start_hash
    for body in bodies:
        current = link(current, body)
    return current
