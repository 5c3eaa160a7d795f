"""Retention: old events go to a signed archive file, leave the database, and verification carries on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from audit_helpers import events, tampering, verify
from sqlalchemy import text

from caregate.audit import archive
from caregate.service import audit_retention

CAREGATE = str(Path(sys.executable).with_name("caregate"))


@pytest.fixture
def aged(client, services, world, clock):
    """An organisation with 40-day-old events, a 30-day retention policy, and newer events."""
    org_id, owner = world.org()
    for i in range(6):
        with services.unit() as uow:
            uow.record("patients.read", org_id=org_id, actor_member_id=owner.member_id, patient_id=f"pat_{i}")
    old = len(events(services, org_id))
    clock.advance(days=40)
    fresh = {"Authorization": f"Bearer {world.token(owner.email)}"}
    assert client.patch(f"/v1/orgs/{org_id}/audit/settings", json={"retention_days": 30},
                        headers=fresh).status_code == 200
    return org_id, old, fresh


def test_archive_removes_old_events_and_the_chain_still_verifies(client, services, aged):
    org_id, old, headers = aged
    done = audit_retention.archive_chain(services, chain_name=org_id)
    assert (done.count, done.first_seq, done.last_seq) == (old, 1, old)
    remaining = events(services, org_id)
    assert remaining[0]["seq"] == old + 1 and remaining[-1]["action"] == "audit.archived"
    assert verify(services, org_id).intact
    report = archive.verify(Path(done.path), services.keyring.get())
    assert report.intact and report.count == old
    manifest = json.loads(archive.manifest_path(Path(done.path)).read_text())
    assert manifest["last_seq"] == old and manifest["key_id"] == services.keyring.get().key_id
    with services.unit() as uow:
        uow.record("members.read", org_id=org_id, object_type="members")
    assert verify(services, org_id).intact
    assert client.get(f"/v1/orgs/{org_id}/audit/verify", headers=headers).json()["intact"] is True
    assert audit_retention.archive_chain(services, chain_name=org_id).count == 0  # nothing more is old enough


def test_a_changed_archive_is_caught(services, aged):
    org_id, _, _ = aged
    path = Path(audit_retention.archive_chain(services, chain_name=org_id).path)
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("patients.read", "members.read")
    path.write_text("\n".join(lines) + "\n")
    report = archive.verify(path, services.keyring.get())
    assert not report.intact and "SHA-256" in (report.problem or "")
    manifest = archive.manifest_path(path)
    doc = json.loads(manifest.read_text())
    doc["file_sha256"] = __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    manifest.write_text(json.dumps(doc))
    assert "signature" in (archive.verify(path, services.keyring.get()).problem or "")


def test_removing_old_events_outside_retention_is_caught(services, aged):
    org_id, old, _ = aged
    with tampering(services) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE chain = :c AND seq <= :s"), {"c": org_id, "s": old})
        conn.execute(text("UPDATE audit_chain_heads SET archived_seq = :s WHERE chain = :c"), {"c": org_id, "s": old})
    problem = verify(services, org_id).problem
    assert problem is not None and problem.kind == "archive"


@pytest.fixture
def env(services, database, settings):
    url = database.url.render_as_string(hide_password=False)
    return {**os.environ, "CAREGATE_DATABASE_URL": url, "CAREGATE_AUDIT_KEY_FILE": str(settings.audit_key_path()),
            "CAREGATE_AUDIT_ARCHIVE_DIR": str(settings.audit_archive_path()), "COLUMNS": "200"}


def cg(env, *args):
    return subprocess.run([CAREGATE, *args], env=env, capture_output=True, text=True, timeout=60, check=False,
                          stdin=subprocess.DEVNULL)


def test_the_cli_verifies_exports_and_archives(services, aged, env, tmp_path):
    org_id, old, _ = aged
    ok = cg(env, "audit", "verify", "--org", org_id)
    assert ok.returncode == 0 and "INTACT" in ok.stdout, ok.stderr
    out = tmp_path / "export.ndjson"
    exported = cg(env, "audit", "export", "--org", org_id, "--format", "fhir", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert len(out.read_text().splitlines()) == len(events(services, org_id)) - 1  # the export's own event follows
    nothing = cg(env, "audit", "archive", "--org", org_id)  # the CLI's clock is the real one: nothing is old yet
    assert nothing.returncode == 0 and "nothing past retention" in nothing.stdout, nothing.stderr
    path = Path(audit_retention.archive_chain(services, chain_name=org_id).path)  # on the test's clock
    assert str(path).startswith(env["CAREGATE_AUDIT_ARCHIVE_DIR"])
    assert cg(env, "audit", "verify", "--archive", str(path)).returncode == 0
    path.write_text(path.read_text().replace("pat_1", "pat_9"))
    broken = cg(env, "audit", "verify", "--archive", str(path))
    assert broken.returncode == 5 and "BROKEN" in broken.stderr
    with tampering(services) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE chain = :c AND seq = :s"), {"c": org_id, "s": old + 2})
    tampered = cg(env, "audit", "verify", "--org", org_id)
    assert tampered.returncode == 5 and f"at event {old + 2}" in tampered.stderr
