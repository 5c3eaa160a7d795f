"""Archive files: the oldest events of a chain as JSON Lines, with a signed manifest beside them.

Each line is `{"event":<the event's canonical body>,"hash":"<its hash>"}`; the manifest names the chain,
the range, the hash the range starts from and the one it ends on (the head the database's chain now
continues from), the file's SHA-256, and an Ed25519 signature over all of it. An archive can be checked
on its own, with nothing but the public key: `caregate audit verify --archive FILE`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from caregate.audit import chain
from caregate.audit.keys import Keyring

FORMAT = "caregate-audit-archive/1"


def manifest(*, chain_name: str, org_id: str | None, first_seq: int, last_seq: int, count: int, start_hash: str,
             last_hash: str, file_name: str, file_sha256: str, created_at: datetime) -> dict[str, Any]:
    return {"format": FORMAT, "chain": chain_name, "org_id": org_id, "first_seq": first_seq, "last_seq": last_seq,
            "count": count, "start_hash": start_hash, "last_hash": last_hash, "file": file_name,
            "file_sha256": file_sha256, "created_at": chain.timestamp(created_at)}


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".jsonl") + ".manifest.json")


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    manifest: dict[str, Any]


def write(directory: Path, *, chain_name: str, org_id: str | None, start_hash: str,
          events: Iterable[tuple[int, str, str]], keyring: Keyring, now: datetime) -> Written:
    """Write (seq, hash, body) events to a new archive file and its manifest, synced to disk."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = list(events)
    first, last = rows[0][0], rows[-1][0]
    path = directory / f"audit-{chain_name}-{first:012d}-{last:012d}.jsonl"
    digest = hashlib.sha256()
    with path.open("xb") as handle:  # never overwrite an archive
        for _, event_hash, body in rows:
            line = f'{{"event":{body},"hash":"{event_hash}"}}\n'.encode()
            digest.update(line)
            handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    doc = manifest(chain_name=chain_name, org_id=org_id, first_seq=first, last_seq=last, count=len(rows),
                   start_hash=start_hash, last_hash=rows[-1][1], file_name=path.name,
                   file_sha256=digest.hexdigest(), created_at=now)
    doc["key_id"] = keyring.key_id
    doc["public_key"] = keyring.public_key
    doc["signature"] = keyring.sign(chain.archive_message(_signed_part(doc)))
    target = manifest_path(path)
    with target.open("x") as handle:
        handle.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return Written(path, doc)


def _signed_part(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("signature", "key_id", "public_key")}


def signature_ok(doc: dict[str, Any], keyring: Keyring) -> bool:
    return keyring.verify(doc.get("key_id"), chain.archive_message(_signed_part(doc)), doc.get("signature"))


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    path: Path
    intact: bool
    count: int
    first_seq: int | None
    last_seq: int | None
    problem: str | None = None
    problem_seq: int | None = None


def verify(path: Path, keyring: Keyring) -> ArchiveReport:
    """Check an archive file against its manifest and the manifest's signature."""
    if path.name.endswith(".manifest.json"):
        path = path.with_name(path.name.removesuffix(".manifest.json") + ".jsonl")
    try:
        doc = json.loads(manifest_path(path).read_text())
        data = path.read_bytes()
    except (OSError, ValueError) as exc:
        return ArchiveReport(path, False, 0, None, None, f"cannot read the archive or its manifest: {exc}")
    first, last = doc.get("first_seq"), doc.get("last_seq")

    def broken(message: str, seq: int | None = None, count: int = 0) -> ArchiveReport:
        return ArchiveReport(path, False, count, first, last, message, seq)

    if not keyring.knows(doc.get("key_id")):
        return broken(f"the manifest is signed by key {doc.get('key_id')!r}, which is not a trusted audit key")
    if not signature_ok(doc, keyring):
        return broken("the manifest's signature does not verify: the manifest was changed")
    if hashlib.sha256(data).hexdigest() != doc.get("file_sha256"):
        return broken("the file's SHA-256 differs from the signed manifest: the file was changed")
    return _walk(path, doc, data, broken)


def _walk(path: Path, doc: dict[str, Any], data: bytes, broken: Callable[..., ArchiveReport]) -> ArchiveReport:
    prev, expected, count = doc["start_hash"], doc["first_seq"], 0
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = json.loads(raw)
            body = chain.canonical(line["event"])
            seq, stated = int(line["event"]["seq"]), str(line["hash"])
            chain.columns_text(line["event"])  # the fields a format 2 hash covers are all there
        except (ValueError, KeyError, TypeError):
            return broken(f"line {number} is not an archived event", expected, count)
        if seq != expected or line["event"].get("chain") != doc["chain"]:
            return broken(f"line {number} holds event {seq} of chain {line['event'].get('chain')}, expected "
                          f"{expected} of {doc['chain']}", expected, count)
        if chain.event_hash(prev, body, line["event"]) != stated:
            return broken(f"event {seq} does not match its hash", seq, count)
        prev, expected, count = stated, expected + 1, count + 1
    if count != doc["count"] or prev != doc["last_hash"]:
        return broken(f"the file holds {count} events ending on {prev[:12]}..., the manifest says {doc['count']} "
                      f"ending on {str(doc['last_hash'])[:12]}...", expected, count)
    return ArchiveReport(path, True, count, doc["first_seq"], doc["last_seq"])
