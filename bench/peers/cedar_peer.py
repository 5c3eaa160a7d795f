"""cedarpy: the policies in `clinic.cedar`, the clinic as Cedar entities, parsed once into handles.

The fastest way cedarpy offers is used for every mode, as measured while writing this benchmark:
- the `PolicySet` and `Entities` are parsed once and the handles reused, so no call re-parses the
  policies or the 50,000-session entity graph;
- requests name entities as {"type", "id"} dicts, about 1.5x faster than 'Member::"m1"' strings,
  which Cedar parses on every request;
- policies scope actions by action groups rather than lists (see `clinic.cedar`).
Modes: one `is_authorized` call per request, and `is_authorized_batch` over batches of several sizes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from operator import attrgetter
from pathlib import Path
from typing import Any

import cedarpy

from bench.peers.measure import Mode, Prepared, current_rss_kib
from bench.peers.world import ACTIONS, Member, Request, Session, World

POLICY_FILE = Path(__file__).with_name("clinic.cedar")
ROLE_KEYS = ("owner", "administrator", "clinician", "assistant", "template_manager", "manager", "front_desk",
             "billing", "inventory", "call_center")
# Batches of 1,000 and 10,000 measured the same; larger ones would mostly measure the harness holding
# that many result objects at once, which is not what a caller does.
BATCH_SIZES = (100, 1_000, 10_000)
# Action groups of clinic.cedar: group -> its member actions.
ACTION_GROUPS: dict[str, tuple[str, ...]] = {
    "session-work": ACTIONS,
    "team-work": ("sessions:read", "notes:read", "notes:copy", "documents:create"),
    "share-view": ("sessions:read", "notes:read", "notes:copy"),
    "share-edit": ("sessions:edit", "documents:create"),
    "owner-deletes": ("sessions:delete", "notes:delete", "transcripts:delete"),
}

CedarRequest = dict[str, dict[str, str]]


def _ref(kind: str, id_: str) -> dict[str, dict[str, str]]:
    return {"__entity": {"type": kind, "id": id_}}


def _uid(kind: str, id_: str) -> dict[str, str]:
    return {"type": kind, "id": id_}


def _member(m: Member) -> dict[str, Any]:
    return {
        "uid": _uid("Member", m.id),
        "attrs": {"org": _ref("Org", m.org), "status": m.status, "teams": [m.team]},
        "parents": [_uid("Role", r) for r in m.roles],
    }


def _session(s: Session) -> dict[str, Any]:
    levels: dict[str, list[dict[str, Any]]] = {"view": [], "edit": [], "full": []}
    for member, level in s.shares:
        levels[level].append(_ref("Member", member))
    return {
        "uid": _uid("Session", s.id),
        "attrs": {
            "org": _ref("Org", s.org),
            "owner": _ref("Member", s.owner),
            "created_by": _ref("Member", s.created_by),
            "teams": [s.team],
            "share_view": levels["view"],
            "share_edit": levels["edit"],
            "share_full": levels["full"],
        },
        "parents": [],
    }


def entities_json(world: World) -> str:
    """The whole clinic as one Cedar entities document."""
    orgs = [
        {"uid": _uid("Org", o.id),
         "attrs": {"plan": o.plan, "session_visibility": o.session_visibility,
                   "visibility_roles": [_ref("Role", r) for r in sorted(o.visibility_roles)]},
         "parents": []}
        for o in world.orgs.values()
    ]
    roles = [{"uid": _uid("Role", r), "attrs": {}, "parents": []} for r in ROLE_KEYS]
    return json.dumps([*orgs, *roles, *_actions(), *map(_member, world.members), *map(_session, world.sessions)])


def _actions() -> list[dict[str, Any]]:
    """The actions with their groups as parents, and the groups themselves."""
    actions = sorted({a for members in ACTION_GROUPS.values() for a in members})
    groups = [{"uid": _uid("Action", g), "attrs": {}, "parents": []} for g in ACTION_GROUPS]
    return groups + [
        {"uid": _uid("Action", a), "attrs": {},
         "parents": [_uid("Action", g) for g, members in ACTION_GROUPS.items() if a in members]}
        for a in actions
    ]


def build_requests(world: World, requests: list[Request]) -> list[CedarRequest]:
    """Requests naming entities as {"type", "id"} dicts, one dict per entity shared by all its requests."""
    principals = [_uid("Member", m.id) for m in world.members]
    resources = [_uid("Session", s.id) for s in world.sessions]
    actions: dict[str, dict[str, str]] = {}
    return [
        {"principal": principals[r.member],
         "action": actions.setdefault(r.action, _uid("Action", r.action)),
         "resource": resources[r.session]}
        for r in requests
    ]


def _chunks(items: list[CedarRequest], size: int) -> Iterator[list[CedarRequest]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _batch_mode(size: int, requests: list[CedarRequest], policies: Any, entities: Any) -> Mode:
    def run() -> list[bool]:
        answers: list[bool] = []
        for chunk in _chunks(requests, size):
            answers.extend(r.allowed for r in cedarpy.is_authorized_batch(chunk, policies, entities))
        return answers

    return Mode(f"is_authorized_batch, batches of {size:,}", run)


def _raw_batch_mode(size: int, requests: list[CedarRequest], policies: Any, entities: Any) -> Mode:
    """cedarpy's private extension call, without the public wrapper's AuthzResult objects.

    Not an API a caller should use (`_internal` is documented as private); measured so that "cedarpy's
    fastest mode" is really the fastest. The decision is still read from the JSON Cedar returns.
    """
    from cedarpy import _internal

    inner = entities._inner

    def run() -> list[bool]:
        answers: list[bool] = []
        for chunk in _chunks(requests, size):
            raw = _internal.is_authorized_batch(chunk, policies, inner, None, False)
            answers.extend(json.loads(r)["decision"] == "Allow" for r in raw)
        return answers

    return Mode(f"_internal.is_authorized_batch (private), batches of {size:,}", run)


def _verifier(requests: list[CedarRequest], policies: Any, entities: Any) -> Callable[[], list[str]]:
    def verify() -> list[str]:
        """Cedar skips a policy whose evaluation errors (a forbid included): insist there were none.

        Also reads Cedar's own per-request metrics, which split its time between building the request
        and evaluating the policies, from the binding's overhead around them.
        """
        authz: list[int] = []
        build: list[int] = []
        for chunk in _chunks(requests, 10_000):
            for request, result in zip(chunk, cedarpy.is_authorized_batch(chunk, policies, entities), strict=True):
                if result.diagnostics.errors:
                    raise RuntimeError(f"cedar reported errors for {request}: {result.diagnostics.errors}")
                authz.append(result.metrics["authz_duration_micros"])
                build.append(result.metrics["build_request_duration_micros"])
        authz.sort()
        build.sort()
        return [
            "no evaluation errors on any request",
            f"Cedar's own metrics: policy evaluation p50 {authz[len(authz) // 2]} µs, "
            f"mean {sum(authz) / len(authz):.1f} µs; request building p50 {build[len(build) // 2]} µs",
        ]

    return verify


def prepare(world: World, requests: list[Request]) -> Prepared:
    policies = cedarpy.PolicySet.from_str(POLICY_FILE.read_text())
    document = entities_json(world)
    before = current_rss_kib()
    entities = cedarpy.Entities.from_json_str(document)
    # how much of this process's memory is Cedar's parsed entity store itself, not the harness
    store_mib = (current_rss_kib() - before) / 1024
    del document
    cedar_requests = build_requests(world, requests)
    args = [(r, policies, entities) for r in cedar_requests]
    sizes = [size for size in BATCH_SIZES if size <= len(cedar_requests)]
    modes = [_batch_mode(size, cedar_requests, policies, entities) for size in sizes]
    modes.append(_raw_batch_mode(10_000, cedar_requests, policies, entities))
    return Prepared("cedarpy", cedarpy.is_authorized, args, attrgetter("allowed"), "is_authorized() per request",
                    modes=modes, verify=_verifier(cedar_requests, policies, entities),
                    notes=[f"{len(policies)} policies, {len(entities):,} entities, handles parsed once",
                           f"the parsed entity store alone adds {store_mib:.0f} MiB of RSS"])
