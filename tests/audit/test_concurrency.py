"""Many writers at once keep one consistent chain per organisation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from audit_helpers import events, verify

WRITERS, EACH = 8, 15


def test_parallel_writers_keep_one_chain(services, world):
    org_id, owner = world.org()
    other_org, _ = world.org()

    def write(worker: int) -> None:
        for i in range(EACH):
            with services.unit() as uow:
                target = org_id if (worker + i) % 3 else other_org  # two chains, crossing writers
                uow.record("patients.read", org_id=target, actor_member_id=owner.member_id,
                           patient_id=f"pat_{worker}_{i}", detail={"worker": worker, "i": i})

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, range(WRITERS)))
    mine, theirs = events(services, org_id), events(services, other_org)
    written = {(e["detail"]["worker"], e["detail"]["i"]) for e in mine + theirs if e["action"] == "patients.read"}
    assert len(written) == WRITERS * EACH
    assert [e["seq"] for e in mine] == list(range(1, len(mine) + 1))  # no gap, no duplicate
    assert verify(services, org_id).intact and verify(services, other_org).intact


def test_verifying_while_events_are_written_reports_no_problem(services, world, monkeypatch):
    """Verification reads the head and the events from one snapshot: events committed while it runs are
    neither "inserted" after the signed head nor anything else (it used to read them in different ones)."""
    from caregate.store import audit_repo

    org_id, owner = world.org()
    for i in range(7):
        with services.unit() as uow:
            uow.record("patients.read", org_id=org_id, actor_member_id=owner.member_id, patient_id=f"pat_{i}")
    read_checkpoints = audit_repo.checkpoints

    def meanwhile(*args, **kwargs):
        found = read_checkpoints(*args, **kwargs)  # the head is read by now; the events not yet
        with ThreadPoolExecutor(1) as other:  # another request commits while verification runs
            other.submit(write_more).result()
        return found

    def write_more() -> None:
        with services.unit() as uow:
            for i in range(3):
                uow.record("patients.read", org_id=org_id, actor_member_id=owner.member_id, patient_id=f"new_{i}")

    monkeypatch.setattr(audit_repo, "checkpoints", meanwhile)
    report = verify(services, org_id)
    monkeypatch.undo()
    assert report.intact, report.problem
    assert verify(services, org_id).intact and len(events(services, org_id)) == report.events + 3
