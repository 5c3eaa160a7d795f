"""The audit pages in-process (no browser): filters narrow the events, older pages, the chain's verification,
exports (audit:export and a fresh sign-in, through the re-authentication prompt), alerts and their
acknowledgement; refusals, other organisations, bad filter input and CSRF."""

from __future__ import annotations

import re

from sqlalchemy import select, text
from web_helpers import PASSWORD, audit_count, csrf_of, sign_in

from caregate.store.audit import AuditAlert, AuditEvent

EVENT_ROW = re.compile(r'id="event-(evt_[A-Za-z0-9_]+)"')


def record(services, org_id: str, action: str, member_id: str | None, **fields) -> str:  # type: ignore[no-untyped-def]
    """Write one event as a use case would; its id."""
    with services.unit() as uow:
        uow.record(action, org_id=org_id, actor_member_id=member_id, **fields)
    with services.unit(write=False) as uow:
        return str(uow.session.scalar(select(AuditEvent.id).where(AuditEvent.chain == org_id)
                                      .order_by(AuditEvent.seq.desc()).limit(1)))


def sign_in_event(services, org_id: str, member_id: str) -> str:  # type: ignore[no-untyped-def]
    """The copy in the organisation's chain of the member's sign-in (World signs everyone in)."""
    with services.unit(write=False) as uow:
        return str(uow.session.scalars(select(AuditEvent.id).where(
            AuditEvent.chain == org_id, AuditEvent.action == "auth.login",
            AuditEvent.actor_member_id == member_id)).one())


def shown(html: str) -> list[str]:
    return EVENT_ROW.findall(html)


def test_each_filter_narrows_the_list_to_exactly_its_events(web, world, services, clock):
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    bob = world.member(org_id, "bob@example.org")
    day1 = {
        "clara_read_a": record(services, org_id, "patients.read", clara.member_id, patient_id="pat_a",
                               object_type="patients", object_id="pat_a"),
        "clara_denied": record(services, org_id, "sessions.read", clara.member_id, outcome="denied",
                               object_type="sessions", object_id="ses_1"),
        "bob_read_a": record(services, org_id, "patients.read", bob.member_id, patient_id="pat_a",
                             object_type="patients", object_id="pat_a"),
    }
    clock.advance(days=2)
    clara_edit_b = record(services, org_id, "patients.edit", clara.member_id, patient_id="pat_b",
                          object_type="patients", object_id="pat_b")
    clara_login = sign_in_event(services, org_id, clara.member_id)
    sign_in(web, owner.email)
    base = f"/o/{org_id}/audit"
    r = web.get(f"{base}?member={clara.member_id}")
    assert r.status_code == 200
    assert shown(r.text) == [clara_edit_b, day1["clara_denied"], day1["clara_read_a"], clara_login]  # newest first
    assert shown(web.get(f"{base}?member={clara.member_id}&to=2026-11-23").text) == [
        day1["clara_denied"], day1["clara_read_a"], clara_login]
    assert shown(web.get(f"{base}?member={clara.member_id}&from=2026-11-25&to=2026-11-25").text) == [clara_edit_b]
    assert shown(web.get(f"{base}?patient=pat_a").text) == [day1["bob_read_a"], day1["clara_read_a"]]
    assert shown(web.get(f"{base}?action=patients.read&member={bob.member_id}").text) == [day1["bob_read_a"]]
    assert shown(web.get(f"{base}?action=patients.&member={clara.member_id}").text) == [
        clara_edit_b, day1["clara_read_a"]]
    assert shown(web.get(f"{base}?action=auth.login&member={clara.member_id}").text) == [clara_login]
    assert shown(web.get(f"{base}?outcome=denied").text) == [day1["clara_denied"]]
    assert shown(web.get(f"{base}?object_type=sessions&object_id=ses_1").text) == [day1["clara_denied"]]
    page = web.get(f"{base}?member={clara.member_id}&outcome=denied").text
    row = page[page.index(f'id="event-{day1["clara_denied"]}"'):]
    row = row[:row.index("</tr>")]
    assert "clara" in row and "Denied" in row and "sessions" in row and "ses_1" in row
    assert 'value="denied" selected' in page and f'value="{clara.member_id}" selected' in page  # the form keeps it


def test_viewing_the_log_is_itself_recorded(web, world, services):
    org_id, owner = world.org()
    sign_in(web, owner.email)
    web.get(f"/o/{org_id}/audit?outcome=denied")
    with services.unit(write=False) as uow:
        body = uow.session.scalars(select(AuditEvent.body).where(
            AuditEvent.chain == org_id, AuditEvent.action == "audit.list")).one()
    assert '"filter":{"outcome":"denied"}' in body


def test_older_events_come_in_keyset_pages_that_keep_the_filter(web, world, services):
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    made = [record(services, org_id, "patients.read", clara.member_id, patient_id=f"pat_{n}") for n in range(60)]
    sign_in(web, owner.email)
    first = web.get(f"/o/{org_id}/audit?member={clara.member_id}&action=patients.read").text
    assert shown(first) == made[::-1][:50] and "60 events match this filter" in first
    older = re.search(r'href="(/o/[^"]+audit\?[^"]*after=\d+)"', first)
    assert older and "Older events" in first and f"member={clara.member_id}" in older.group(1)
    second = web.get(older.group(1).replace("&amp;", "&")).text
    assert shown(second) == made[::-1][50:]
    assert "Older events" not in second


def test_a_member_without_audit_read_is_neither_offered_nor_shown_the_log(web, world, services):
    org_id, _ = world.org()
    clinician = world.member(org_id, "clara@example.org")
    sign_in(web, clinician.email)
    assert f'href="/o/{org_id}/audit"' not in web.get(f"/o/{org_id}/team").text
    for path in ("audit", "audit/alerts", "audit/verify", "audit/export?format=csv"):
        r = web.get(f"/o/{org_id}/{path}")
        assert r.status_code == 403 and "Not allowed" in r.text, path
        assert "evt_" not in r.text


def test_the_owner_has_the_nav_entry_and_another_organisation_is_not_found(web, world):
    org_id, owner = world.org()
    other_org, _ = world.org("Elsewhere")
    sign_in(web, owner.email)
    assert f'href="/o/{org_id}/audit"' in web.get(f"/o/{org_id}/team").text
    for path in ("audit", "audit/alerts", "audit/verify", "audit/export?format=csv"):
        assert web.get(f"/o/{other_org}/{path}").status_code == 404, path


def test_bad_filter_input_is_a_clear_message_not_an_error(web, world, services):
    org_id, owner = world.org()
    sign_in(web, owner.email)
    base = f"/o/{org_id}/audit"
    r = web.get(f"{base}?from=2026-13-45&outcome=maybe&action=DROP TABLE")
    assert r.status_code == 422
    assert "From: “2026-13-45” is not a date" in r.text and "Outcome: “maybe” is not an outcome" in r.text
    assert "Action: “DROP TABLE” is not an action" in r.text
    assert 'value="2026-13-45"' in r.text and not shown(r.text)  # what was typed stays; no events
    r = web.get(f"{base}?from=2026-11-25&to=2026-11-20", headers={"hx-request": "true", "hx-target": "audit-results"})
    assert r.status_code == 422 and "<html" not in r.text and "the first day is after the last one" in r.text
    r = web.get(f"{base}/export?format=csv&to=yesterday")
    assert r.status_code == 422 and "To: “yesterday” is not a date" in r.text
    assert web.get(f"{base}?after=abc").status_code == 422
    assert web.get(f"{base}/export?format=xml").status_code == 422


def test_export_downloads_exactly_the_filtered_events(web, world, services):
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    wanted = [record(services, org_id, "patients.read", clara.member_id, patient_id=f"pat_{n}") for n in range(3)]
    record(services, org_id, "patients.edit", clara.member_id, patient_id="pat_0")
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/audit?member={clara.member_id}&action=patients.read").text
    assert 'name="format" value="csv"' in page and 'name="format" value="fhir"' in page
    r = web.get(f"/o/{org_id}/audit/export?format=csv&member={clara.member_id}&action=patients.read")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment;")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("seq,id,") and [line.split(",")[1] for line in lines[1:]] == wanted
    fhir = web.get(f"/o/{org_id}/audit/export?format=fhir&member={clara.member_id}&action=patients.read")
    assert fhir.status_code == 200 and fhir.text.count('"resourceType":"AuditEvent"') == 3


def test_without_audit_export_the_buttons_are_absent_and_the_export_refused(web, world, services):
    org_id, owner = world.org()
    role = web.post(f"/v1/orgs/{org_id}/roles", json={"name": "Auditor", "permissions": {"audit": {"read": "org"}}},
                    headers=owner.headers)
    assert role.status_code in (200, 201), role.text
    auditor = world.member(org_id, "ada@example.org", roles=(role.json()["key"],))
    sign_in(web, auditor.email)
    page = web.get(f"/o/{org_id}/audit")
    assert page.status_code == 200 and "evt_" in page.text
    assert "/audit/export" not in page.text and 'name="format"' not in page.text
    r = web.get(f"/o/{org_id}/audit/export?format=csv")
    assert r.status_code == 403 and "Not allowed" in r.text


def test_a_stale_sign_in_is_asked_to_confirm_before_the_export(web, world, services, clock):
    org_id, owner = world.org()
    sign_in(web, owner.email)
    clock.advance(minutes=16)  # past the 15 minutes an export allows, within the idle timeout
    url = f"/o/{org_id}/audit/export?format=jsonl&outcome=allowed"
    before = audit_count(services)
    r = web.get(url)
    assert r.status_code == 401 and "Confirm it is you" in r.text and "export the audit log" in r.text
    assert "content-disposition" not in r.headers
    token = csrf_of(r.text)
    assert f'name="return_to" value="{url.replace("&", "&amp;")}"' in r.text
    ok = web.post(f"/o/{org_id}/reauth", data={"csrf_token": token, "return_to": url, "method": "get",
                                               "password": PASSWORD})
    assert ok.status_code == 200 and f'href="{url.replace("&", "&amp;")}"' in ok.text and "Continue" in ok.text
    with services.unit(write=False) as uow:  # nothing was exported before Continue
        assert not uow.session.scalars(select(AuditEvent.id).where(AuditEvent.action == "audit.export")).all()
    assert audit_count(services) > before  # the refusal and the re-authentication are recorded
    done = web.get(url)
    assert done.status_code == 200 and done.headers["content-disposition"].startswith("attachment;")
    assert '"outcome":"allowed"' in done.text and '"outcome":"denied"' not in done.text


def test_verify_reports_an_intact_chain_then_the_first_broken_event(web, world, services):
    org_id, owner = world.org()
    clara = world.member(org_id, "clara@example.org")
    target = record(services, org_id, "patients.read", clara.member_id, patient_id="pat_a")
    sign_in(web, owner.email)
    r = web.get(f"/o/{org_id}/audit/verify", headers={"hx-request": "true", "hx-target": "verify-result"})
    assert r.status_code == 200 and "<html" not in r.text and "The chain is intact" in r.text
    assert re.search(r"\d+ events checked", r.text) and "signed head is at position" in r.text
    with services.db.engine.begin() as conn:  # edit an event as the database's owner could
        if services.db.is_postgres:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.connection.info["caregate_audit_flag"].open = True
        conn.execute(text("UPDATE audit_events SET patient_id = 'pat_z' WHERE id = :id"), {"id": target})
        seq = conn.execute(text("SELECT seq FROM audit_events WHERE id = :id"), {"id": target}).scalar_one()
    broken = web.get(f"/o/{org_id}/audit/verify")  # the full page, without htmx
    assert broken.status_code == 200 and "<html" in broken.text
    assert f"The chain is broken at position {seq}" in broken.text and target in broken.text


def alert_of(services, org_id: str) -> str:
    with services.unit() as uow:
        uow.record("break_glass.declare", org_id=org_id, actor_member_id=None, patient_id="pat_1", purpose="emergency")
    with services.unit(write=False) as uow:
        return str(uow.session.scalar(select(AuditAlert.id).where(AuditAlert.org_id == org_id)))


def test_alerts_are_listed_newest_first_and_acknowledged_with_a_note(web, world, services, clock):
    org_id, owner = world.org()
    first = alert_of(services, org_id)
    clock.advance(minutes=1)
    with services.unit() as uow:
        uow.record("break_glass.declare", org_id=org_id, actor_member_id=owner.member_id, patient_id="pat_2")
    sign_in(web, owner.email)
    page = web.get(f"/o/{org_id}/audit/alerts").text
    rows = re.findall(r'id="alert-(alr_[A-Za-z0-9_]+)"', page)
    assert len(rows) == 2 and rows[-1] == first
    r = web.post(f"/o/{org_id}/audit/alerts/{first}/acknowledge",
                 data={"csrf_token": csrf_of(page), "note": "drill, see ticket 42"})
    assert r.status_code == 303
    page = web.get(r.headers["location"]).text
    assert "is acknowledged" in page and "drill, see ticket 42" in page
    row = page[page.index(f'id="alert-{first}"'):]
    assert "Acknowledged" in row[:row.index("</tr>")]
    again = web.post(f"/o/{org_id}/audit/alerts/{first}/acknowledge", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 409 and "already acknowledged" in again.text


def test_acknowledging_needs_the_csrf_token_and_another_organisations_alert_is_not_found(web, world, services):
    org_id, owner = world.org()
    other_org, _ = world.org("Elsewhere")
    mine, theirs = alert_of(services, org_id), alert_of(services, other_org)
    sign_in(web, owner.email)
    token = csrf_of(web.get(f"/o/{org_id}/audit/alerts").text)
    before = audit_count(services)
    refused = web.post(f"/o/{org_id}/audit/alerts/{mine}/acknowledge", data={"note": "no token"})
    assert refused.status_code == 403 and audit_count(services) == before
    assert web.post(f"/o/{org_id}/audit/alerts/{mine}/acknowledge",
                    data={"csrf_token": "forged", "note": "x"}).status_code == 403
    assert web.post(f"/o/{org_id}/audit/alerts/{theirs}/acknowledge", data={"csrf_token": token}).status_code == 404
    assert web.post(f"/o/{other_org}/audit/alerts/{theirs}/acknowledge",
                    data={"csrf_token": token}).status_code == 404
    with services.unit(write=False) as uow:
        assert all(a.acknowledged_at is None for a in uow.session.scalars(select(AuditAlert)))


def test_a_member_without_audit_read_cannot_acknowledge(web, world, services):
    org_id, _ = world.org()
    clinician = world.member(org_id, "clara@example.org")
    alert = alert_of(services, org_id)
    sign_in(web, clinician.email)
    token = csrf_of(web.get(f"/o/{org_id}/team").text)
    r = web.post(f"/o/{org_id}/audit/alerts/{alert}/acknowledge", data={"csrf_token": token})
    assert r.status_code == 403
    with services.unit(write=False) as uow:
        assert uow.session.get(AuditAlert, alert).acknowledged_at is None  # type: ignore[union-attr]
