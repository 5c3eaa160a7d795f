"""audit trail (issue 5): hash chain, signed heads and checkpoints, archives, alerts, settings, guards

Revision ID: 0004
Revises: 0003

Events already recorded are chained in place, in the order they were written (time, then id), with a
frozen copy of the version-1 canonical form below (a migration must not change when the code does).
Their heads are signed by the first event appended after the upgrade.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import caregate.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARDED = ("audit_events", "audit_checkpoints", "audit_archives")
MESSAGE = "audit records are append-only: only the retention procedure may remove archived events"
UTC_TYPE = caregate.store.types.UTCDateTime(timezone=True)
JSON_TYPE = caregate.store.types.JSONType
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _v1_canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=str)


def _v1_link(prev: str, body: str) -> str:
    return hashlib.sha256(prev.encode("ascii") + b"\n" + body.encode("utf-8")).hexdigest()


def _v1_genesis(chain: str) -> str:
    return hashlib.sha256(f"caregate-audit-v1 genesis {chain}".encode()).hexdigest()


def _moment(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _chain_existing_events() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, org_id, at, actor_user_id, actor_member_id, on_behalf_of, action, object_type, object_id, "
        "patient_id, outcome, reasons, before, after, detail, ip, user_agent, request_id, purpose "
        "FROM audit_events ORDER BY at, id")).mappings().all()
    heads: dict[str, tuple[int, str, str | None]] = {}
    for row in rows:
        chain = row["org_id"] or "system"
        seq, prev, _ = heads.get(chain, (0, _v1_genesis(chain), row["org_id"]))
        seq += 1
        body = _v1_canonical({
            "v": 1, "id": row["id"], "chain": chain, "seq": seq, "org_id": row["org_id"],
            "at": _moment(row["at"]).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "action": row["action"],
            "outcome": row["outcome"], "actor_user_id": row["actor_user_id"],
            "actor_member_id": row["actor_member_id"], "on_behalf_of": row["on_behalf_of"],
            "object_type": row["object_type"], "object_id": row["object_id"], "patient_id": row["patient_id"],
            "reasons": _json(row["reasons"]) or [], "before": _json(row["before"]), "after": _json(row["after"]),
            "detail": _json(row["detail"]) or {}, "ip": row["ip"], "user_agent": row["user_agent"],
            "request_id": row["request_id"], "purpose": row["purpose"]})
        digest = _v1_link(prev, body)
        bind.execute(sa.text("UPDATE audit_events SET chain = :chain, seq = :seq, prev_hash = :prev, hash = :hash, "
                             "body = :body WHERE id = :id"),
                     {"chain": chain, "seq": seq, "prev": prev, "hash": digest, "body": body, "id": row["id"]})
        heads[chain] = (seq, digest, row["org_id"])
    now = datetime.now(UTC)
    table = sa.table("audit_chain_heads", sa.column("chain"), sa.column("org_id"), sa.column("seq"),
                     sa.column("hash"), sa.column("archived_seq"), sa.column("archived_hash"),
                     sa.column("updated_at", UTC_TYPE))
    for chain, (seq, digest, org_id) in heads.items():
        bind.execute(table.insert().values(chain=chain, org_id=org_id, seq=seq, hash=digest, archived_seq=0,
                                           archived_hash=_v1_genesis(chain), updated_at=now))


def _create_tables() -> None:
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("signature", sa.String(length=128), nullable=True),
        sa.Column("archived_seq", sa.BigInteger(), nullable=False),
        sa.Column("archived_hash", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain", "seq", name="uq_audit_checkpoint_seq"),
    )
    op.create_table(
        "audit_archives",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("start_hash", sa.String(length=64), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_archives_chain", "audit_archives", ["chain", "last_seq"], unique=False)
    op.create_table(
        "audit_patient_access",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("at", UTC_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_patient_access", "audit_patient_access", ["org_id", "member_id", "at"], unique=False)
    op.create_table(
        "audit_alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("at", UTC_TYPE, nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=True),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.Column("event_id", sa.String(length=40), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("detail", JSON_TYPE, nullable=False),
        sa.Column("webhook_state", sa.String(length=10), nullable=False),
        sa.Column("webhook_attempts", sa.Integer(), nullable=False),
        sa.Column("webhook_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_alerts_org", "audit_alerts", ["org_id", "id"], unique=False)
    op.create_index("ix_audit_alerts_dedupe", "audit_alerts", ["org_id", "rule", "dedupe_key", "at"], unique=False)
    op.create_table(
        "audit_settings",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("settings", JSON_TYPE, nullable=False),
        sa.Column("webhook_secret", sa.String(length=100), nullable=True),
        sa.Column("updated_at", UTC_TYPE, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("org_id"),
    )


def _guards(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(f"""
CREATE OR REPLACE FUNCTION caregate_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('caregate.audit_retention', true), '') <> 'on' THEN
        RAISE EXCEPTION '{MESSAGE} (% on % refused)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
    RETURN OLD;
END $$""")
        for table in GUARDED:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION caregate_audit_guard()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION caregate_audit_guard()")
        return
    for table in GUARDED:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"WHEN NOT caregate_audit_retention() BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def _drop_guards(dialect: str) -> None:
    for table in GUARDED:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS caregate_audit_guard()")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _create_tables()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        for name in ("chain", "seq", "prev_hash", "hash", "body"):
            batch_op.alter_column(name, nullable=False)
        for name in ("reasons", "before", "after", "detail"):
            batch_op.drop_column(name)  # kept in the body, the one copy the hash protects
        batch_op.drop_index("ix_audit_events_org_id")
        batch_op.create_unique_constraint("uq_audit_chain_seq", ["chain", "seq"])
        batch_op.create_index("ix_audit_org_member", ["org_id", "actor_member_id", "seq"], unique=False)
        batch_op.create_index("ix_audit_org_patient", ["org_id", "patient_id", "seq"], unique=False)
    _guards(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_guards(dialect)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_org_patient")
        batch_op.drop_index("ix_audit_org_member")
        batch_op.drop_constraint("uq_audit_chain_seq", type_="unique")
        batch_op.create_index("ix_audit_events_org_id", ["org_id"], unique=False)
        batch_op.add_column(sa.Column("reasons", JSON_TYPE, nullable=True))
        batch_op.add_column(sa.Column("before", JSON_TYPE, nullable=True))
        batch_op.add_column(sa.Column("after", JSON_TYPE, nullable=True))
        batch_op.add_column(sa.Column("detail", JSON_TYPE, nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.text("SELECT id, body FROM audit_events")).mappings().all():
        doc = json.loads(row["body"])
        bind.execute(sa.text("UPDATE audit_events SET reasons = :r, before = :b, after = :a, detail = :d "
                             "WHERE id = :id"),
                     {"r": json.dumps(doc.get("reasons") or []), "b": json.dumps(doc.get("before")),
                      "a": json.dumps(doc.get("after")), "d": json.dumps(doc.get("detail") or {}), "id": row["id"]})
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("reasons", nullable=False)
        batch_op.alter_column("detail", nullable=False)
        for name in ("body", "hash", "prev_hash", "seq", "chain"):
            batch_op.drop_column(name)
    for table in ("audit_settings", "audit_alerts", "audit_patient_access", "audit_archives", "audit_checkpoints",
                  "audit_chain_heads"):
        op.drop_table(table)
