"""At least one active Owner, always: also when two changes race, and for any sequence of changes."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caregate.service import members
from caregate.service.actors import load_actor
from caregate.service.context import Caller
from caregate.service.errors import Conflict, Forbidden, Unauthenticated
from caregate.store import repo


def _active_owners(services, org_id):
    with services.unit() as uow:
        return repo.members_with_role(uow.session, org_id=org_id, role_key="owner", statuses=["active"])


def _act(services, login, org_id, change, target):
    with services.unit() as uow:
        actor = load_actor(uow, Caller(login.token), org_id)
        if change == "demote":
            members.change_roles(uow, actor, member_id=target, grants=[members.RoleGrant("clinician")])
        else:
            members.set_status(uow, actor, member_id=target, change=change)


@pytest.mark.parametrize("change", ["demote", "archive", "disable"])
def test_two_owners_removing_each_other_at_the_same_moment(services, world, monkeypatch, change):
    """Each transaction counts the owners before changing one. Without the organisation lock both would
    count two and both would succeed; a delay after counting makes sure the two overlap."""
    original = repo.members_with_role

    def slow_count(*args, **kwargs):
        found = original(*args, **kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(repo, "members_with_role", slow_count)
    org_id, a = world.org()
    b = world.member(org_id, roles=("owner",))
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run(login, target):
        barrier.wait()
        try:
            _act(services, login, org_id, change, target)
            outcomes.append("done")
        except (Forbidden, Conflict, Unauthenticated) as exc:
            # Unauthenticated: the other change came first and ended this owner's sessions (SQLite runs the
            # two transactions one after the other, so the second starts after the first committed)
            outcomes.append("refused" if isinstance(exc, Unauthenticated) else type(exc).__name__)

    threads = [threading.Thread(target=run, args=(a, b.member_id)), threading.Thread(target=run, args=(b, a.member_id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    monkeypatch.setattr(repo, "members_with_role", original)
    assert len(outcomes) == 2 and outcomes.count("done") == 1, outcomes
    assert len(_active_owners(services, org_id)) == 1


def test_two_administrators_cannot_remove_owners_at_all(services, world):
    org_id, a = world.org()
    b = world.member(org_id, roles=("owner",))
    admins = [world.member(org_id, roles=("administrator",)) for _ in range(2)]
    for admin, target in zip(admins, (a.member_id, b.member_id), strict=True):
        with pytest.raises(Forbidden) as refused:
            _act(services, admin, org_id, "archive", target)
        assert refused.value.decision.reasons[0].code == "forbid:outranked"
    assert len(_active_owners(services, org_id)) == 2


CHANGES = st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["demote", "archive", "disable", "enable",
                                                                   "restore", "promote", "delete"]),
                             st.integers(0, 4)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES)
def test_any_sequence_of_changes_keeps_an_active_owner(services, world, changes):
    org_id, first = world.org()
    roles = ("owner", "administrator", "owner", "clinician")
    people = [first] + [world.member(org_id, roles=(role,)) for role in roles]
    for who, change, whom in changes:
        actor, target = people[who], people[whom].member_id
        try:
            with services.unit() as uow:
                me = load_actor(uow, Caller(actor.token), org_id)
                if change == "demote":
                    members.change_roles(uow, me, member_id=target, grants=[members.RoleGrant("clinician")])
                elif change == "promote":
                    members.change_roles(uow, me, member_id=target, grants=[members.RoleGrant("owner")])
                elif change == "delete":
                    members.delete(uow, me, member_id=target)
                else:
                    members.set_status(uow, me, member_id=target, change=change)
        except (Forbidden, Conflict):
            pass
        except Exception as exc:  # a deleted member's token, a member not found: fine, nothing changed
            assert type(exc).__name__ in {"NotFound", "Unauthenticated"}, exc
        assert len(_active_owners(services, org_id)) >= 1
