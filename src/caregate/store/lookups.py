"""Lists and lookups filtered in the database: "which objects of this kind may this member read?".

A `ListSpec` names a table, the joins that bring in what its `Mapping` reads (a document's session, a
message's patient), fixed conditions and the filters a list accepts. `page_ids` returns one keyset page
of the ids a predicate selects; `count` how many it selects in all.

A page is selected as the union of the predicate's alternatives, each ordered by id and limited on its
own: "my own sessions", "my team's sessions", "sessions shared with me" each walk one index and stop
after a page, instead of one scan testing an OR on every row. The union is the same set as the
predicate (distribution of AND over OR); `count` uses the predicate as one condition.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, true, union
from sqlalchemy.orm import Session

from caregate.engine.filters import Always, And, AtLocations, HasGrant, InTeams, Never, Or, Predicate
from caregate.store import mappings
from caregate.store.clinical import (
    Appointment,
    Call,
    Charge,
    ClinicalSession,
    ContextEntry,
    Invoice,
    Patient,
    PatientMessage,
    Payment,
    Product,
    Refund,
    Room,
    SessionDocument,
    SessionNote,
    SessionTranscript,
    StockOrder,
    Template,
)
from caregate.store.filters import Column, Link, Mapping, compile_predicate
from caregate.store.tables import Membership

MAX_BRANCHES = 24
Atom = Predicate | ColumnElement[bool]


@dataclass(frozen=True)
class ListSpec:
    model: Any
    mapping: Mapping
    joins: tuple[tuple[Any, Any], ...] = ()
    where: tuple[Any, ...] = ()
    # filter name -> (column, operator): eq, ge, lt, like (case-insensitive substring)
    filters: MappingABC[str, tuple[Column, str]] = field(default_factory=dict)

    @property
    def id(self) -> Column:
        return self.mapping.id

    @property
    def org(self) -> Column:
        return self.model.org_id


def _session_part(model: Any, mapping: Mapping, **filters: tuple[Column, str]) -> ListSpec:
    return ListSpec(model, mapping, joins=((ClinicalSession, ClinicalSession.id == model.session_id),),
                    filters={"session_id": (model.session_id, "eq"), "patient_id": (ClinicalSession.patient_id, "eq"),
                             **filters})


_SESSION_FILTERS = {"owner_id": (ClinicalSession.owner_id, "eq"), "patient_id": (ClinicalSession.patient_id, "eq"),
                    "team_id": (ClinicalSession.team_id, "eq"), "status": (ClinicalSession.status, "eq")}

LISTS: MappingABC[str, ListSpec] = {
    "members": ListSpec(Membership, mappings.MEMBERS),
    "sessions": ListSpec(ClinicalSession, mappings.SESSIONS, filters=_SESSION_FILTERS),
    "notes": ListSpec(ClinicalSession, mappings.SESSIONS, filters=_SESSION_FILTERS,
                      where=(exists(select(1).where(SessionNote.session_id == ClinicalSession.id)),)),
    "transcripts": ListSpec(ClinicalSession, mappings.SESSIONS, filters=_SESSION_FILTERS,
                            where=(exists(select(1).where(SessionTranscript.session_id == ClinicalSession.id)),)),
    "context": _session_part(ContextEntry, mappings.CONTEXT),
    "documents": _session_part(SessionDocument, mappings.DOCUMENTS, kind=(SessionDocument.kind, "eq")),
    "patients": ListSpec(Patient, mappings.PATIENTS,
                         filters={"team_id": (Patient.team_id, "eq"), "location_id": (Patient.location_id, "eq"),
                                  "q": (Patient.name, "like")}),
    "templates": ListSpec(Template, mappings.TEMPLATES, filters={"visibility": (Template.visibility, "eq")}),
    "appointments": ListSpec(Appointment, mappings.APPOINTMENTS,
                             filters={"provider_id": (Appointment.provider_id, "eq"),
                                      "patient_id": (Appointment.patient_id, "eq"),
                                      "status": (Appointment.status, "eq"),
                                      "starts_from": (Appointment.starts_at, "ge"),
                                      "starts_before": (Appointment.starts_at, "lt")}),
    "messages": ListSpec(PatientMessage, mappings.MESSAGES, joins=((Patient, Patient.id == PatientMessage.patient_id),),
                         filters={"patient_id": (PatientMessage.patient_id, "eq")}),
    "invoices": ListSpec(Invoice, mappings.INVOICES, filters={"patient_id": (Invoice.patient_id, "eq"),
                                                              "status": (Invoice.status, "eq")}),
    "charges": ListSpec(Charge, mappings.CHARGES, filters={"status": (Charge.status, "eq"),
                                                           "invoice_id": (Charge.invoice_id, "eq")}),
    "payments": ListSpec(Payment, mappings.PAYMENTS, filters={"invoice_id": (Payment.invoice_id, "eq"),
                                                              "status": (Payment.status, "eq")}),
    "refunds": ListSpec(Refund, mappings.REFUNDS, filters={"status": (Refund.status, "eq")}),
    "products": ListSpec(Product, mappings.PRODUCTS, filters={"location_id": (Product.location_id, "eq")}),
    "orders": ListSpec(StockOrder, mappings.ORDERS, joins=((Product, Product.id == StockOrder.product_id),),
                       filters={"product_id": (StockOrder.product_id, "eq"), "status": (StockOrder.status, "eq")}),
    "calls": ListSpec(Call, mappings.CALLS, filters={"status": (Call.status, "eq"),
                                                     "assigned_to": (Call.assigned_to, "eq")}),
    "call_transcripts": ListSpec(Call, mappings.CALLS, where=(Call.transcript.is_not(None),)),
    "rooms": ListSpec(Room, mappings.ROOMS, filters={"kind": (Room.kind, "eq")}),
}


# --- the predicate as alternatives -----------------------------------------------------------------

def _split(pred: Predicate, m: Mapping) -> list[tuple[Atom, ...]] | None:
    """`pred` as an OR of ANDs of atoms, each atom usable by one index; None when it would be too many."""
    if isinstance(pred, Always):
        return [()]
    if isinstance(pred, Never):
        return []
    if isinstance(pred, Or):
        out: list[tuple[Atom, ...]] = []
        for part in pred.parts:
            alternatives = _split(part, m)
            if alternatives is None:
                return None
            out.extend(alternatives)
        return out if len(out) <= MAX_BRANCHES else None
    if isinstance(pred, And):
        product: list[tuple[Atom, ...]] = [()]
        for part in pred.parts:
            alternatives = _split(part, m)
            if alternatives is None or len(product) * len(alternatives) > MAX_BRANCHES:
                return None
            product = [a + b for a, b in itertools.product(product, alternatives)]
        return product
    if isinstance(pred, InTeams) and not _is_link(m.team) and len(pred.team_ids) > 1:
        return [(InTeams(frozenset({t})),) for t in sorted(pred.team_ids)]
    if isinstance(pred, AtLocations) and not _is_link(m.location) and len(pred.location_ids) > 1:
        return [(AtLocations(frozenset({loc})),) for loc in sorted(pred.location_ids)]
    if isinstance(pred, HasGrant) and m.grant_parts is not None:
        return [(part,) for part in m.grant_parts(pred)]
    return [(pred,)]


def _is_link(where: object) -> bool:
    return isinstance(where, Link)


def _compile(atoms: Sequence[Atom], m: Mapping) -> ColumnElement[bool]:
    return and_(true(), *(compile_predicate(a, m) if not isinstance(a, ColumnElement) else a for a in atoms))


# --- queries ---------------------------------------------------------------------------------------

def _base(spec: ListSpec, columns: Sequence[Any], org_id: str, filters: MappingABC[str, object]) -> Select[Any]:
    stmt = select(*columns).select_from(spec.model)
    for target, onclause in spec.joins:
        stmt = stmt.join(target, onclause)
    stmt = stmt.where(spec.org == org_id, *spec.where)
    for name, value in filters.items():
        if value is None:
            continue
        column, op = spec.filters[name]
        if op == "eq":
            stmt = stmt.where(column == value)
        elif op == "ge":
            stmt = stmt.where(column >= value)
        elif op == "lt":
            stmt = stmt.where(column < value)
        else:
            escaped = str(value).lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(func.lower(column).like(f"%{escaped}%", escape="\\"))
    return stmt


def page_query(spec: ListSpec, *, org_id: str, predicate: Predicate, filters: MappingABC[str, object] | None = None,
               after: str | None = None, limit: int = 50) -> Select[Any] | None:
    """The statement selecting one page of ids, or None when the predicate selects nothing."""
    filters = filters or {}
    alternatives = _split(predicate, spec.mapping)
    if alternatives is not None and not alternatives:
        return None

    def ordered(condition: ColumnElement[bool]) -> Select[Any]:
        stmt = _base(spec, [spec.id.label("id")], org_id, filters).where(condition)
        if after:
            stmt = stmt.where(spec.id > after)
        return stmt.order_by(spec.id).limit(limit)

    if alternatives is None:
        return ordered(compile_predicate(predicate, spec.mapping))
    if len(alternatives) == 1:
        return ordered(_compile(alternatives[0], spec.mapping))
    branches = [ordered(_compile(atoms, spec.mapping)).subquery() for atoms in alternatives]
    merged = union(*(select(b.c.id) for b in branches)).subquery()
    return select(merged.c.id).order_by(merged.c.id).limit(limit)


def page_ids(s: Session, *, spec: ListSpec, org_id: str, predicate: Predicate,
             filters: MappingABC[str, object] | None = None, after: str | None = None, limit: int = 50) -> list[str]:
    """One page (keyset by id, ascending) of the ids of the objects `predicate` selects."""
    stmt = page_query(spec, org_id=org_id, predicate=predicate, filters=filters, after=after, limit=limit)
    return [] if stmt is None else list(s.scalars(stmt))


def count(s: Session, *, spec: ListSpec, org_id: str, predicate: Predicate,
          filters: MappingABC[str, object] | None = None) -> int:
    """How many objects `predicate` selects: the same condition as the pages, so nothing hidden is counted.

    Counted as the union of the predicate's alternatives, like a page, so that "my own and those shared
    with me" counts through two indexes instead of testing every row of the organisation."""
    filters = filters or {}
    alternatives = _split(predicate, spec.mapping)
    if alternatives is not None and not alternatives:
        return 0
    if alternatives is None or len(alternatives) == 1:
        condition = compile_predicate(predicate, spec.mapping) if alternatives is None else \
            _compile(alternatives[0], spec.mapping)
        return int(s.scalar(_base(spec, [func.count()], org_id, filters).where(condition)) or 0)
    branches = [_base(spec, [spec.id.label("id")], org_id, filters).where(_compile(atoms, spec.mapping))
                for atoms in alternatives]
    merged = union(*branches).subquery()
    return int(s.scalar(select(func.count()).select_from(merged)) or 0)


def rows(s: Session, *, spec: ListSpec, org_id: str, ids: Sequence[str]) -> list[Any]:
    """The rows of `ids`, in the order given."""
    if not ids:
        return []
    found = {r.id: r for r in s.scalars(select(spec.model).where(spec.org == org_id, spec.model.id.in_(list(ids))))}
    return [found[i] for i in ids if i in found]


def explain(s: Session, *, spec: ListSpec, org_id: str, predicate: Predicate, limit: int = 50) -> str:
    """PostgreSQL's executed plan for the first page (the benchmark shows it)."""
    stmt = page_query(spec, org_id=org_id, predicate=predicate, limit=limit)
    if stmt is None:
        return "(nothing can match: no query is run)"
    compiled = stmt.compile(dialect=s.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    result = s.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + compiled.string,
                                            compiled.params)
    return "\n".join(str(row[0]) for row in result)
