"""Engine predicates (`caregate.engine.filters`) compiled to SQL for one table.

A `Mapping` says where a table keeps what the engine's `Resource` carries: its owner, creator, teams,
locations, assigned members, attributes and grants. The compiler is total over the predicate tree;
attribute comparisons are NULL-safe so that `Not` means what it means in the engine (a missing
attribute never holds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true

from caregate.engine.conditions import Op
from caregate.engine.filters import (
    Always,
    And,
    AssignedTo,
    AtLocations,
    Attr,
    CreatedBy,
    HasGrant,
    InTeams,
    Never,
    Not,
    Or,
    OwnerIs,
    Predicate,
)

Column = Any  # an InstrumentedAttribute or a column expression


@dataclass(frozen=True)
class Link:
    """A many-to-many link: rows whose `fk` equals the object's `key` (default: its id), each naming a `value`."""

    fk: Column
    value: Column
    key: Column | None = None


@dataclass(frozen=True)
class Mapping:
    id: Column
    owner: Column | None = None
    created_by: Column | None = None
    team: Column | Link | None = None
    location: Column | Link | None = None
    assigned: Column | Link | None = None
    attrs: MappingABC[str, Column] = field(default_factory=dict)
    grants: Callable[[HasGrant], ColumnElement[bool]] | None = None
    # the same as `grants`, one condition per kind of grant (so lookups can use an index for each)
    grant_parts: Callable[[HasGrant], Sequence[ColumnElement[bool]]] | None = None


def _member_of(where: Column | Link, ids: frozenset[str], key: Column) -> ColumnElement[bool]:
    if not ids:
        return false()
    if isinstance(where, Link):
        target = where.key if where.key is not None else key
        return exists(select(1).where(where.fk == target, where.value.in_(sorted(ids))))
    return where.in_(sorted(ids))  # type: ignore[no-any-return]


def _attr(column: Column, op: Op, value: object) -> ColumnElement[bool]:
    present = column.is_not(None)
    if op is Op.IN or op is Op.NOT_IN:
        values = list(value) if isinstance(value, tuple | list) else [value]
        test = column.in_(values) if op is Op.IN else column.not_in(values)
    else:
        test = {
            Op.LT: column < value, Op.LE: column <= value, Op.GT: column > value, Op.GE: column >= value,
            Op.EQ: column == value, Op.NE: column != value,
        }[op]
    return and_(present, test)


def compile_predicate(pred: Predicate, m: Mapping) -> ColumnElement[bool]:  # noqa: PLR0912
    """The SQL condition selecting exactly the rows `pred` accepts."""
    if isinstance(pred, Always):
        return true()
    if isinstance(pred, Never):
        return false()
    if isinstance(pred, OwnerIs):
        if m.owner is None:
            return false()
        test = m.owner != pred.member_id if pred.negate else m.owner == pred.member_id
        return and_(m.owner.is_not(None), test)  # NULL-safe, so that Not(...) keeps the engine's meaning
    if isinstance(pred, CreatedBy):
        return false() if m.created_by is None else and_(m.created_by.is_not(None), m.created_by == pred.member_id)
    if isinstance(pred, AssignedTo):
        return false() if m.assigned is None else _member_of(m.assigned, frozenset({pred.member_id}), m.id)
    if isinstance(pred, InTeams):
        return false() if m.team is None else _member_of(m.team, pred.team_ids, m.id)
    if isinstance(pred, AtLocations):
        return false() if m.location is None else _member_of(m.location, pred.location_ids, m.id)
    if isinstance(pred, Attr):
        column = m.attrs.get(pred.attr)
        return false() if column is None else _attr(column, pred.op, pred.value)
    if isinstance(pred, HasGrant):
        if m.grant_parts is not None:
            parts = m.grant_parts(pred)
            return or_(*parts) if parts else false()
        return false() if m.grants is None else m.grants(pred)
    if isinstance(pred, And):
        return and_(*(compile_predicate(p, m) for p in pred.parts))
    if isinstance(pred, Or):
        return or_(*(compile_predicate(p, m) for p in pred.parts))
    if isinstance(pred, Not):
        return not_(compile_predicate(pred.part, m))
    raise TypeError(f"unknown predicate {pred!r}")
