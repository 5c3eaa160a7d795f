"""The bytes an event's hash covers: the database renders the columns exactly as Python does when it writes
them, whatever the values; and chains written before format 2 still verify, columns and all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from audit_helpers import events, tampering, verify
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from caregate.audit import chain, log
from caregate.store import audit_repo

pytestmark = pytest.mark.usefixtures("walk")

# Text as a request could carry it: quotes, backslashes, JSON look-alikes, non-ASCII, control characters.
odd_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(object_id=odd_text, user_agent=odd_text, purpose=st.none() | odd_text, request_id=odd_text)
def test_any_values_written_verify_intact(services, world, object_id, user_agent, purpose, request_id):
    org_id, owner = world.org()
    with services.unit() as uow:
        uow.record("patients.read", org_id=org_id, actor_member_id=owner.member_id, object_type="patients",
                   object_id=object_id, patient_id="pat_1", user_agent=user_agent, purpose=purpose,
                   request_id=request_id)
    with services.unit(write=False) as uow:
        rendered = [data for _, _, data in audit_repo.hashed_texts(uow.session, chain=org_id, after_seq=0)]
    written = events(services, org_id)
    for doc, data in zip(written, rendered, strict=True):  # the database's bytes are Python's bytes
        body = chain.canonical({k: v for k, v in doc.items() if k != "hash"})
        assert data.decode().split("\n", 1)[1] == f"{body}\n{chain.columns_text(doc)}"
    assert verify(services, org_id).intact


def test_control_characters_in_columns_are_replaced_in_body_and_column_alike(services, world):
    org_id, owner = world.org()
    with services.unit() as uow:
        uow.record("patients.read", org_id=org_id, actor_member_id=owner.member_id, object_id="a\x1fb\x00c",
                   user_agent="tab\there")
    last = events(services, org_id)[-1]
    assert (last["object_id"], last["user_agent"]) == ("a\ufffdb\ufffdc", "tab\ufffdhere")
    assert verify(services, org_id).intact


def _format_1_row(entry, seq, prev_hash):
    """The row as caregate wrote it before format 2: the hash covers the body alone."""
    values = {**log.body_of(entry, seq), "v": 1}
    body = chain.canonical(values)
    row = {k: values[k] for k in audit_repo.MIRRORED}
    row.update(seq=seq, at=entry.record.at, prev_hash=prev_hash, hash=chain.link(prev_hash, body), body=body)
    return row


def _mixed_chain(services, world, monkeypatch):
    org_id, owner = world.org()  # format 2: the organisation's creation
    with monkeypatch.context() as patched:
        patched.setattr(log, "_row", _format_1_row)
        for i in range(6):
            with services.unit() as uow:
                uow.record("patients.read", org_id=org_id, actor_member_id=owner.member_id, patient_id=f"pat_{i}")
    for i in range(4):
        with services.unit() as uow:
            uow.record("patients.read", org_id=org_id, actor_member_id=owner.member_id, patient_id=f"pat_{i}")
    versions = [e["v"] for e in events(services, org_id)]
    assert 1 in versions and versions[-1] == 2
    return org_id, versions


def test_a_chain_begun_before_format_2_verifies(services, world, monkeypatch):
    org_id, versions = _mixed_chain(services, world, monkeypatch)
    report = verify(services, org_id)
    assert report.intact and report.events == len(versions)


def test_a_column_edit_in_a_format_1_event_is_still_found(services, world, monkeypatch):
    org_id, versions = _mixed_chain(services, world, monkeypatch)
    seq = versions.index(1) + 2  # a format 1 event
    with tampering(services) as conn:
        conn.execute(text("UPDATE audit_events SET patient_id = 'pat_hidden' WHERE chain = :c AND seq = :s"),
                     {"c": org_id, "s": seq})
    problem = verify(services, org_id).problem
    assert problem is not None and (problem.kind, problem.seq) == ("edited", seq) and "patient_id" in problem.message


def test_each_column_of_a_format_2_event_is_covered(services, world):
    org_id, owner = world.org()
    with services.unit() as uow:
        uow.record("patients.read", org_id=org_id, actor_member_id=owner.member_id, patient_id="pat_1",
                   object_type="patients", object_id="pat_1", on_behalf_of="api_key:k", ip="203.0.113.1",
                   user_agent="ua", request_id="rq", purpose="treatment")
    seq = events(services, org_id)[-1]["seq"]
    for column in [c for c in audit_repo.CHAINED if c != "seq"]:  # seq: the walk's own order checks it
        with tampering(services) as conn:
            old = conn.execute(text(f"SELECT {column} FROM audit_events WHERE chain = :c AND seq = :s"),
                               {"c": org_id, "s": seq}).scalar()
            new = "x"
            if column == "at":  # a microsecond later
                new = old + timedelta(microseconds=1) if isinstance(old, datetime) else old[:-1] + str(
                    (int(old[-1]) + 1) % 10)
            conn.execute(text(f"UPDATE audit_events SET {column} = :v WHERE chain = :c AND seq = :s"),
                         {"v": new, "c": org_id, "s": seq})
        problem = verify(services, org_id).problem
        assert problem is not None and problem.seq == seq, f"an edit of {column} went unnoticed"
        with tampering(services) as conn:
            conn.execute(text(f"UPDATE audit_events SET {column} = :v WHERE chain = :c AND seq = :s"),
                         {"v": old, "c": new if column == "chain" else org_id, "s": seq})
        assert verify(services, org_id).intact, json.dumps(column)


@given(moment=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 30),
                           timezones=st.timezones()))
def test_event_times_are_written_as_they_always_were(moment):
    assert chain.timestamp(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
