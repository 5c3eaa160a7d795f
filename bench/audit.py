"""Audit trail speed: appends (one event per transaction, as requests write them) and verification.

    python -m bench.audit [--pg-admin postgresql://postgres@127.0.0.1:5432/postgres] [--quick]

Measured on an SQLite file and on PostgreSQL (a database of its own, created and dropped here):
- append, 1 writer: transactions of one event each, through Services.unit() and uow.record (chain,
  sign, insert, commit); also the same without the chain (a plain insert of the same row through a
  session), and the same row inserted and committed through the bare driver: the machine's floor;
- append, 8 writers: eight processes (threads would measure the GIL), each with its own connection pool,
  into one organisation (one chain: its head lock serialises them) and into eight organisations; and
  the same through the bare driver (the floor for eight writers);
- latency: eight threads of one process writing at once, as a server's thread pool does (p50, p99, max);
- append in batches: 100 events per transaction (a list, an import);
- verify: events per second over a 100,000-event chain (links, checkpoints, signed head, columns).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert

from caregate.audit import verify as verifying
from caregate.config import Settings
from caregate.service.context import RequestInfo, Services
from caregate.store import migrate
from caregate.store.audit import AuditEvent
from caregate.store.db import Database

TARGET_APPENDS, TARGET_VERIFY = 5_000, 200_000
LATENCY = "8 threads, ms "
REQUEST = RequestInfo(ip="203.0.113.7", user_agent="bench/1.0", request_id="bench")


def _record(services: Services, org_id: str, i: int, per_unit: int = 1) -> None:
    with services.unit(REQUEST) as uow:
        for j in range(per_unit):
            uow.record("patients.read", org_id=org_id, actor_member_id="mem_bench", actor_user_id="usr_bench",
                       object_type="patients", object_id=f"pat_{i}_{j}", patient_id=f"pat_{i % 500}",
                       purpose="treatment", detail={"fields": ["name", "dob"]})


def _orgs(services: Services, count: int) -> list[str]:
    """Real organisations (alerts and settings refer to them)."""
    from caregate.service import orgs
    from caregate.store.ids import new_id
    from caregate.store.tables import User

    made = []
    with services.unit() as uow:
        for k in range(count):
            user = User(id=new_id("usr"), email=f"bench{k}-{secrets.token_hex(3)}@example.org", name="", kind="person",
                        created_at=uow.now)
            uow.session.add(user)
            uow.session.flush()
            made.append(orgs.create(uow, name=f"Bench {k}", owner=user)[0].id)
    return made


def _plain(services: Services, org_id: str, i: int) -> None:
    """The same row without the chain: what an unchained audit log would cost."""
    with services.db.transaction(write=True) as session:
        session.execute(insert(AuditEvent).values(
            id=f"evt_plain_{i}_{secrets.token_hex(4)}", chain=f"plain_{org_id}", seq=i, prev_hash="0" * 64,
            hash="0" * 64, body="{}", org_id=org_id, at=services.clock.now(), action="patients.read",
            outcome="allowed", object_type="patients", object_id=f"pat_{i}", patient_id=f"pat_{i % 500}"))


def _driver_floor(db: Database, org_id: str, count: int, first: int = 0) -> float:
    """The machine's floor: the same row inserted and committed through the bare driver, one per transaction
    (no SQLAlchemy, no unit of work, no chain): what any design writing one durable row per request pays."""
    raw = db.engine.raw_connection()
    sqlite_db = db.dialect == "sqlite"
    mark = "?" if sqlite_db else "%s"
    sql = (f"INSERT INTO audit_events (id, chain, seq, prev_hash, hash, body, org_id, at, action, outcome) "
           f"VALUES ({', '.join([mark] * 10)})")
    try:
        cursor = raw.cursor()
        start = time.perf_counter()
        for i in range(first, first + count):
            now = datetime.now(UTC)
            if sqlite_db:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(sql, (f"evt_floor_{i}_{secrets.token_hex(4)}", f"floor_{org_id}", i, "0" * 64, "0" * 64,
                                 "{}", org_id, now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite_db else now,
                                 "patients.read", "allowed"))
            raw.commit()
        return count / (time.perf_counter() - start)
    finally:
        raw.close()


def _each(count: int, step: Callable[[int], None]) -> None:
    for i in range(count):
        step(i)


def _rate(count: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def _writer(url: str, workdir: Path, org_id: str, first: int, each: int, start: Any, done: Any) -> None:
    """One writer process: its own engine and services, warmed up, then `each` transactions."""
    db = Database(url, pool_size=2)
    services = Services(db, Settings(sqlite_path=workdir / "unused.db", audit_checkpoint_every=1000))

    def warm_up() -> None:
        _record(services, org_id, first)  # connect, load the key, fill the statement cache

    _timed(db, start, done, warm_up, lambda: _each(each, lambda i: _record(services, org_id, first + i)))


def _driver_writer(url: str, workdir: Path, org_id: str, first: int, each: int, start: Any, done: Any) -> None:
    """One floor writer process: `each` bare-driver insert-and-commits (see `_driver_floor`)."""
    db, chain_name = Database(url, pool_size=2), f"{first // 1_000_000}{org_id}"
    _timed(db, start, done, lambda: _driver_floor(db, chain_name, 1), lambda: _driver_floor(db, chain_name, each, 1))


def _timed(db: Database, start: Any, done: Any, warm_up: Callable[[], Any], work: Callable[[], Any]) -> None:
    """Warm up, wait for every writer, work, say so; a failure breaks both barriers so the parent stops."""
    try:
        warm_up()
        start.wait()
        work()
        done.wait()
    except BaseException:
        start.abort()
        done.abort()
        raise
    finally:
        db.dispose()


def _parallel(url: str, workdir: Path, orgs: list[str], writers: int, each: int, target: Any = _writer) -> float:
    """Events per second of `writers` processes writing at once: timed from when all are ready to when all
    are done (not including process exit)."""
    spawn = multiprocessing.get_context("spawn")
    start, done = spawn.Barrier(writers + 1), spawn.Barrier(writers + 1)
    procs = [spawn.Process(target=target, args=(url, workdir, orgs[w % len(orgs)], (w + 1) * 1_000_000, each,
                                                start, done))
             for w in range(writers)]
    for proc in procs:
        proc.start()
    try:
        start.wait(timeout=600)
        began = time.perf_counter()
        done.wait(timeout=1800)
        elapsed = time.perf_counter() - began
    except threading.BrokenBarrierError:
        raise RuntimeError("a writer process failed") from None
    finally:
        for proc in procs:
            proc.join()
    if any(proc.exitcode for proc in procs):
        raise RuntimeError("a writer process failed")
    return writers * each / elapsed


def _thread_latency(services: Services, orgs: list[str], each: int) -> dict[str, float]:
    """Eight threads of one process writing at once, as a server's thread pool does: how long each
    audited transaction took, waiting for its turn included (milliseconds)."""
    took: list[float] = []

    def write(k: int) -> None:
        for i in range(each):
            began = time.perf_counter()
            _record(services, orgs[k % len(orgs)], 5_000_000 + k * 100_000 + i)
            took.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took.sort()
    return {"p50": took[len(took) // 2], "p99": took[int(len(took) * 0.99)], "max": took[-1]}


def _verify_rate(services: Services, org_id: str, events: int) -> tuple[float, bool]:
    for i in range(events // 1000):
        _record(services, org_id, i, per_unit=1000)
    with services.unit(write=False) as uow:
        start = time.perf_counter()
        report = verifying.verify_chain(uow.session, services.keyring.get(), org_id)
        elapsed = time.perf_counter() - start
    return report.events / elapsed, report.intact


def measure(url: str, label: str, quick: bool) -> dict[str, float | str | bool]:
    workdir = Path(tempfile.mkdtemp(prefix="caregate-bench-audit-"))
    db = Database(url, pool_size=10)
    migrate.upgrade(db)
    services = Services(db, Settings(sqlite_path=workdir / "unused.db", audit_checkpoint_every=1000))
    n = 500 if quick else 2000
    try:
        single, shared, batch, verified, *eight = _orgs(services, 12)
        _record(services, single, 0)
        result: dict[str, float | str | bool] = {"backend": label}
        result["driver insert + commit, 1 writer (floor)"] = _driver_floor(db, single, n)
        result["driver insert + commit, 8 writers (floor)"] = _parallel(url, workdir, eight, 8, n // 8, _driver_writer)
        result["plain insert, 1 writer (no chain)"] = _rate(n, lambda: _each(n, lambda i: _plain(services, single, i)))
        result["chained 1 writer"] = _rate(n, lambda: _each(n, lambda i: _record(services, single, i)))
        result["chained 8 writers, 1 org"] = _parallel(url, workdir, [shared], 8, n // 8)
        result["chained 8 writers, 8 orgs"] = _parallel(url, workdir, eight, 8, n // 8)
        for name, value in _thread_latency(services, eight, n // 8).items():
            result[f"{LATENCY}{name}"] = value
        result["chained, 100 per transaction"] = _rate(
            n * 10, lambda: _each(n // 10, lambda i: _record(services, batch, i, per_unit=100)))
        rate, intact = _verify_rate(services, verified, 20_000 if quick else 100_000)
        result["verify"] = rate
        result["verify intact"] = intact
        return result
    finally:
        db.dispose()


def _pg_database(admin: str) -> tuple[str, Callable[[], None]]:
    name = f"caregate_bench_audit_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}", drop


def _verdict(result: dict[str, float | str | bool], key: str, target: int) -> str:
    """Met or missed, and for a missed one-event-per-transaction case whether even the bare driver could."""
    if float(result[key]) >= target:
        return "met"
    writers = "8 writers" if "8 writers" in key else "1 writer" if "1 writer" in key else None
    floor = result.get(f"driver insert + commit, {writers} (floor)") if writers else None
    if floor is not None and float(floor) < target:
        return f"missed; beyond the floor ({float(floor):,.0f})"
    return "missed"


def _table(results: list[dict[str, float | str | bool]]) -> str:
    names = [str(r["backend"]) for r in results]
    lines = ["| measure (events/s) | " + " | ".join(names) + " | target | " + " | ".join(names) + " |",
             "|---|" + "---:|" * (len(results) + 1) + "---|" * len(results)]
    for key in (k for k in results[0] if k not in ("backend", "verify intact") and not k.startswith(LATENCY)):
        target = TARGET_VERIFY if key == "verify" else TARGET_APPENDS if key.startswith("chained") else 0
        verdicts = [_verdict(r, key, target) if target else "" for r in results]
        lines.append(f"| {key} | " + " | ".join(f"{float(r[key]):,.0f}" for r in results)
                     + f" | {f'{target:,}' if target else ''} | " + " | ".join(verdicts) + " |")
    lines += ["", "| 8 threads in one process, one audited transaction each (ms) | " + " | ".join(names) + " |",
              "|---|" + "---:|" * len(results)]
    for part in ("p50", "p99", "max"):
        lines.append(f"| {part} | " + " | ".join(f"{float(r[LATENCY + part]):.1f}" for r in results) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-admin", default=os.environ.get("CAREGATE_TEST_PG_ADMIN",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--quick", action="store_true", help="fewer events (a smoke run)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="caregate-bench-sqlite-") as tmp:
        results.append(measure(f"sqlite:///{tmp}/bench.db", "SQLite (file, WAL)", args.quick))
    url, drop = _pg_database(args.pg_admin)
    try:
        results.append(measure(url, "PostgreSQL 15 (local)", args.quick))
    finally:
        drop()
    print(_table(results))
    print("verify found the chains intact:", all(r["verify intact"] for r in results))


if __name__ == "__main__":
    main()
