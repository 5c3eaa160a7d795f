"""Who a session can be shared with (the Share dialog's search), and who is offered Sessions at all.

The seed: "Template Managers do not appear in session-sharing settings"; "you can share with anyone in
your organisation, including people on other teams". Disabled, archived and invited members, the
session's owner and the person sharing are not offered; those already holding a share are in the
access list instead. Each row is a sentence of the seeds or of sharing.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from caregate.service import abilities
from caregate.service.actors import load_actor
from caregate.service.clinical import sharing
from caregate.service.context import Caller
from caregate.service.errors import Forbidden, Invalid


def as_member(services: Any, login: Any, org_id: str, fn: Any, **kwargs: Any) -> Any:
    with services.unit() as uow:
        return fn(uow, load_actor(uow, Caller(token=login.token), org_id), **kwargs)


def targets(clinic: Any, services: Any, who: Any, session: str, search: str = "") -> set[str]:
    found = as_member(services, who, clinic.org_id, sharing.share_targets, session_id=session, search=search,
                      limit=50)
    return {t.member_id for t in found}


@pytest.mark.parametrize(("person", "offered"), [
    ("clinician2", True),  # same team
    ("stranger", True),  # a clinician on another team
    ("assistant", True),
    ("administrator", True),
    ("template_manager", False),  # never a share target
    ("front_desk", False),  # no clinical records
    ("billing", False),
    ("inventory", False),
    ("call_center", False),
    ("clinician", False),  # the session's owner already has it all
])
def test_who_is_offered_as_a_share_target(clinic: Any, services: Any, person: str, offered: bool) -> None:
    session = clinic.session(clinic.clinician)
    assert (clinic.people[person].member_id in targets(clinic, services, clinic.clinician, session)) is offered


def test_the_offer_matches_what_share_accepts(clinic: Any, services: Any) -> None:
    session = clinic.session(clinic.clinician)
    offered = targets(clinic, services, clinic.clinician, session)
    for name, login in clinic.people.items():
        if login.member_id == clinic.clinician.member_id:
            continue
        try:
            as_member(services, clinic.clinician, clinic.org_id, sharing.share, session_id=session,
                      member_id=login.member_id, level="view")
            accepted = True
        except Invalid:
            accepted = False
        assert accepted is (login.member_id in offered), name


def test_inactive_members_and_current_holders_are_not_offered(clinic: Any, services: Any, world: Any) -> None:
    session = clinic.session(clinic.clinician)
    disabled = world.member(clinic.org_id, "dis@example.org", status="disabled")
    archived = world.member(clinic.org_id, "arc@example.org", status="archived")
    invited = world.member(clinic.org_id, "inv@example.org", status="invited")
    as_member(services, clinic.clinician, clinic.org_id, sharing.share, session_id=session,
              member_id=clinic.clinician2.member_id, level="view")
    offered = targets(clinic, services, clinic.clinician, session)
    assert not offered & {disabled.member_id, archived.member_id, invited.member_id, clinic.clinician2.member_id}
    assert clinic.stranger.member_id in offered


def test_search_by_name_or_email_only_in_the_organisation(clinic: Any, services: Any, world: Any) -> None:
    session = clinic.session(clinic.clinician)
    other_org, _ = world.org("Elsewhere")
    world.member(other_org, "zelda.outside@example.org")
    zed = world.member(clinic.org_id, "zelda.inside@example.org")
    assert targets(clinic, services, clinic.clinician, session, "ZELDA") == {zed.member_id}
    assert targets(clinic, services, clinic.clinician, session, "zelda.inside") == {zed.member_id}
    assert targets(clinic, services, clinic.clinician, session, "nobody-like-this") == set()


def test_only_who_may_share_may_search(clinic: Any, services: Any) -> None:
    session = clinic.session(clinic.clinician)
    as_member(services, clinic.clinician, clinic.org_id, sharing.share, session_id=session,
              member_id=clinic.clinician2.member_id, level="edit")
    with pytest.raises(Forbidden):  # an edit share does not share onwards
        targets(clinic, services, clinic.clinician2, session)
    as_member(services, clinic.clinician, clinic.org_id, sharing.share, session_id=session,
              member_id=clinic.clinician2.member_id, level="full")
    assert clinic.stranger.member_id in targets(clinic, services, clinic.clinician2, session)


@pytest.mark.parametrize(("person", "offered"), [
    ("clinician", True), ("assistant", True), ("administrator", True), ("owner", True),
    ("template_manager", False), ("front_desk", False), ("billing", False), ("inventory", False),
    ("call_center", False),
])
def test_sessions_are_in_the_navigation_of_who_may_read_some(clinic: Any, services: Any, person: str,
                                                             offered: bool) -> None:
    nav = as_member(services, clinic.people[person], clinic.org_id, abilities.nav)
    assert nav.sessions is offered
