"""Reading clinical objects: one, a page, an export. The same path for every kind.

A page is selected in the database by the engine's rules (`predicate_for` compiled through the kind's
`Mapping`), so the page, the next page and the total never include what the member may not read. Each
returned row is then decided once more (`decide` READ) for its obligations: the fields to hide from
this member on this row, which are emptied in single reads, lists and exports alike. Every read, list
and export writes an audit event naming the patients it touched.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, get_type_hints

from caregate.engine import FEATURE_ACTIONS, Action, Decision, decide
from caregate.engine.filters import all_of, predicate_for
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import KINDS, Facts, Kind
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound
from caregate.store import lookups, records

P = TypeVar("P", bound=v.Protected)
MAX_EXPORT = 5000
LABELS = {"sessions": "session", "patients": "patient", "templates": "template", "documents": "document",
          "context": "context entry", "appointments": "appointment", "messages": "message", "invoices": "invoice",
          "charges": "charge", "payments": "payment", "refunds": "refund", "products": "product",
          "orders": "order", "calls": "call", "rooms": "room"}


def kind(name: str) -> Kind:
    return KINDS[name]


def hide(view: P, hidden: frozenset[str]) -> P:
    """The view without the fields a decision hides (they read as null, and are named in hidden_fields)."""
    if not hidden:
        return view
    fields = type(view).model_fields
    update: dict[str, Any] = {name: None for name in hidden if name in fields and name != "hidden_fields"}
    update["hidden_fields"] = sorted(hidden)
    return view.model_copy(update=update)


def load(uow: UnitOfWork, actor: Actor, k: Kind, object_id: str, *, lock: bool = False) -> tuple[Any, Facts]:
    """The row and its facts, in the actor's organisation only (404 otherwise); `lock` serialises changes
    of what hangs from the row (shares, care team, note ...) on PostgreSQL."""
    row = records.get(uow.session, k.model, org_id=actor.org_id, object_id=object_id, lock=lock) \
        if 3 <= len(object_id) <= 40 else None
    if row is None:
        raise NotFound(f"{LABELS.get(k.name, k.name)} {object_id} not found in this organisation")
    return row, k.facts(uow.session, actor.org_id, [row])


def audit_read(uow: UnitOfWork, actor: Actor, k: Kind, row: Any, facts: Facts, decision: Decision,
               action: str = "read", **fields: Any) -> None:
    uow.record(f"{k.feature}.{action}", org_id=actor.org_id, actor=actor, object_type=k.name, object_id=row.id,
               patient_id=k.patient(row, facts), decision=decision, **fields)


def read(uow: UnitOfWork, actor: Actor, *, kind_name: str, object_id: str) -> v.Protected:
    k = kind(kind_name)
    row, facts = load(uow, actor, k, object_id)
    decision = authorize(uow, actor, Action.READ, k.resource(row, facts), patient_id=k.patient(row, facts))
    audit_read(uow, actor, k, row, facts, decision)
    assert k.view is not None
    return hide(k.view(row, facts), decision.hidden_fields)


def _check_filters(name: str, filters: Mapping[str, object]) -> dict[str, object]:
    known = lookups.LISTS[name].filters
    unknown = sorted(f for f, value in filters.items() if value is not None and f not in known)
    if unknown:
        raise Invalid(f"{name} cannot be filtered by {', '.join(unknown)}; use {', '.join(sorted(known)) or 'nothing'}")
    return {f: value for f, value in filters.items() if value is not None}


def _decided(uow: UnitOfWork, actor: Actor, k: Kind, rows: Sequence[Any], actions: Sequence[Action]
             ) -> tuple[list[v.Protected], Facts]:
    """The views of rows the member may read (and export), each without the fields its decisions hide."""
    facts = k.facts(uow.session, actor.org_id, rows)
    context = uow.context()
    out = []
    for row in rows:
        resource = k.resource(row, facts)
        decisions = [decide(actor.subject, a, resource, context) for a in actions]
        if not all(d.allowed for d in decisions):
            continue  # never reached while filters and engine agree (a property test holds them to it)
        hidden = frozenset().union(*(d.hidden_fields for d in decisions))
        assert k.view is not None
        out.append(hide(k.view(row, facts), hidden))
    return out, facts


def page(uow: UnitOfWork, actor: Actor, *, kind_name: str, filters: Mapping[str, object] | None = None,
         after: str | None = None, limit: int = 50) -> v.ListPage:
    """One page of the objects of a kind the member may read, the total of them, and the next cursor."""
    k = kind(kind_name)
    spec = lookups.LISTS[k.name]
    chosen = _check_filters(k.name, filters or {})
    predicate = predicate_for(actor.subject, k.feature, Action.READ, uow.context())
    s = uow.session
    ids = lookups.page_ids(s, spec=spec, org_id=actor.org_id, predicate=predicate, filters=chosen, after=after,
                           limit=limit + 1)
    more = len(ids) > limit
    ids = ids[:limit]
    total = lookups.count(s, spec=spec, org_id=actor.org_id, predicate=predicate, filters=chosen)
    rows = lookups.rows(s, spec=spec, org_id=actor.org_id, ids=ids)
    items, facts = _decided(uow, actor, k, rows, [Action.READ])
    patients = sorted({p for r in rows if (p := k.patient(r, facts))})
    uow.record(f"{k.feature}.list", org_id=actor.org_id, actor=actor, object_type=k.name,
               patient_id=patients[0] if len(patients) == 1 else None,
               detail={"returned": [_ident(i) for i in items],
                       "total": total, "patients": patients, "filters": {f: str(x) for f, x in chosen.items()}})
    return v.ListPage(items=items, total=total, next_cursor=ids[-1] if more and ids else None)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(map(str, value))
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    # a cell a spreadsheet would run as a formula is written as text
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _render(items: Sequence[v.Protected], columns: Sequence[str], fmt: str) -> tuple[str, str]:
    if fmt == "json":
        return json.dumps([i.model_dump(mode="json") for i in items], indent=1), "application/json"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        data = item.model_dump()
        writer.writerow([_cell(data.get(c)) for c in columns])
    return out.getvalue(), "text/csv"


def export(uow: UnitOfWork, actor: Actor, *, kind_name: str, fmt: str = "csv",
           filters: Mapping[str, object] | None = None, after: str | None = None,
           limit: int = MAX_EXPORT) -> v.ExportView:
    """The objects the member may read *and* export, as CSV or JSON, hiding what their reads hide."""
    k = kind(kind_name)
    if Action.EXPORT not in FEATURE_ACTIONS[k.feature] or k.view is None:
        raise Invalid(f"{k.name} cannot be exported")
    if fmt not in ("csv", "json"):
        raise Invalid("export format must be csv or json")
    spec = lookups.LISTS[k.name]
    chosen = _check_filters(k.name, filters or {})
    context = uow.context()
    predicate = all_of(predicate_for(actor.subject, k.feature, Action.READ, context),
                       predicate_for(actor.subject, k.feature, Action.EXPORT, context))
    ids = lookups.page_ids(uow.session, spec=spec, org_id=actor.org_id, predicate=predicate, filters=chosen,
                           after=after, limit=min(limit, MAX_EXPORT) + 1)
    more = len(ids) > min(limit, MAX_EXPORT)
    ids = ids[:min(limit, MAX_EXPORT)]
    rows = lookups.rows(uow.session, spec=spec, org_id=actor.org_id, ids=ids)
    items, facts = _decided(uow, actor, k, rows, [Action.READ, Action.EXPORT])
    content, media_type = _render(items, _columns(k), fmt)
    uow.record(f"{k.feature}.export", org_id=actor.org_id, actor=actor, object_type=k.name,
               detail={"format": fmt, "returned": [_ident(i) for i in items],
                       "patients": sorted({p for r in rows if (p := k.patient(r, facts))}),
                       "filters": {f: str(x) for f, x in chosen.items()}})
    return v.ExportView(content=content, media_type=media_type, count=len(items),
                        next_cursor=ids[-1] if more and ids else None)


def _columns(k: Kind) -> list[str]:
    """The view's fields, in order, then the names of the fields hidden on each row."""
    model = get_type_hints(k.view)["return"]
    return [*(n for n in model.model_fields if n != "hidden_fields"), "hidden_fields"]


def _ident(item: v.Protected) -> str:
    data = item.model_dump()
    return str(data.get("id") or data.get("session_id") or "")


def remove(uow: UnitOfWork, actor: Actor, *, kind_name: str, object_id: str) -> None:
    """Delete one object; its shares, grants and parts go with it (the database cascades them)."""
    k = kind(kind_name)
    row, facts = load(uow, actor, k, object_id)
    patient_id = k.patient(row, facts)
    decision = authorize(uow, actor, Action.DELETE, k.resource(row, facts), patient_id=patient_id)
    records.delete_object(uow.session, row)
    uow.record(f"{k.feature}.delete", org_id=actor.org_id, actor=actor, object_type=k.name, object_id=object_id,
               patient_id=patient_id, decision=decision, before={"id": object_id})
