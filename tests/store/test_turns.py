"""SQLite writers take turns in a queue: in arrival order within a process, through a lock file across
processes, and a writer kept waiting too long gets a clear "busy" answer with nothing written."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from caregate.config import Settings
from caregate.service.context import Services
from caregate.service.errors import Busy
from caregate.store import migrate, turns
from caregate.store.db import Database
from caregate.store.turns import DatabaseBusy, Turns


@pytest.fixture
def sqlite_db(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS seen (n INTEGER, who TEXT)")
    yield db
    db.dispose()


def _write(db: Database, who: str, hold: float = 0.0) -> None:
    with db.transaction(write=True) as session:
        session.execute(text("INSERT INTO seen (n, who) VALUES ((SELECT count(*) FROM seen), :who)"), {"who": who})
        time.sleep(hold)


def _order(db: Database) -> list[str]:
    with db.transaction(write=False) as session:
        return [row[0] for row in session.execute(text("SELECT who FROM seen ORDER BY n"))]


def test_threads_write_in_the_order_they_arrived(sqlite_db):
    holder_in, release = threading.Event(), threading.Event()

    def holder() -> None:
        with sqlite_db.transaction(write=True) as session:
            session.execute(text("INSERT INTO seen (n, who) VALUES (0, 'holder')"))
            holder_in.set()
            release.wait(5)

    first = threading.Thread(target=holder)
    first.start()
    holder_in.wait(5)
    waiting = []
    for k in range(5):  # each queues behind the holder, in this order
        thread = threading.Thread(target=_write, args=(sqlite_db, f"w{k}"))
        thread.start()
        waiting.append(thread)
        time.sleep(0.05)
    release.set()
    for thread in [first, *waiting]:
        thread.join(10)
    assert _order(sqlite_db) == ["holder", "w0", "w1", "w2", "w3", "w4"]


def test_a_thread_holding_its_turn_may_open_it_again():
    queue = Turns(None)
    with queue.turn(), queue.turn():
        pass
    done = threading.Event()
    threading.Thread(target=lambda: (queue.turn().__enter__(), done.set())).start()
    assert done.wait(2), "the turn was not given back after a nested use"


def _hold_in_child(path: str, ready, release) -> None:
    db = Database(f"sqlite:///{path}")
    with db.transaction(write=True) as session:
        session.execute(text("INSERT INTO seen (n, who) VALUES (0, 'child')"))
        ready.set()
        release.wait(10)
    db.dispose()


def test_processes_take_turns_through_the_lock_file(sqlite_db, tmp_path):
    spawn = multiprocessing.get_context("spawn")
    ready, release = spawn.Event(), spawn.Event()
    child = spawn.Process(target=_hold_in_child, args=(str(tmp_path / "turns.db"), ready, release))
    child.start()
    try:
        assert ready.wait(30)
        assert (tmp_path / "turns.db.writers").exists()
        writer = threading.Thread(target=_write, args=(sqlite_db, "parent"))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive(), "the parent wrote while another process held the database"
        release.set()
        writer.join(10)
        assert not writer.is_alive()
    finally:
        release.set()
        child.join(10)
    assert _order(sqlite_db) == ["child", "parent"]


@contextmanager
def _held(db: Database) -> Iterator[None]:
    """Another thread holds a write transaction for the block."""
    holder_in, release = threading.Event(), threading.Event()

    def holder() -> None:
        with db.transaction(write=True):
            holder_in.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    holder_in.wait(5)
    try:
        yield
    finally:
        release.set()
        thread.join(5)


def test_a_writer_kept_waiting_too_long_is_told_the_database_is_busy(sqlite_db, monkeypatch):
    monkeypatch.setattr(turns, "WAIT_SECONDS", 0.3)
    with _held(sqlite_db), pytest.raises(DatabaseBusy, match="more than"):
        _write(sqlite_db, "late")
    assert _order(sqlite_db) == []  # nothing half-written
    _write(sqlite_db, "later")  # and the queue works again
    assert _order(sqlite_db) == ["later"]


def test_a_busy_database_is_a_service_error_with_a_retry(tmp_path, monkeypatch):
    db = Database(f"sqlite:///{tmp_path / 'busy.db'}")
    migrate.upgrade(db)
    services = Services(db, Settings(sqlite_path=tmp_path / "unused.db", secret_key="x" * 43, redis_url=""))
    monkeypatch.setattr(turns, "WAIT_SECONDS", 0.2)
    try:
        with _held(db), pytest.raises(Busy) as raised, services.unit():
            pass
        assert raised.value.retry_after >= 1
        assert "nothing was changed" in raised.value.detail
    finally:
        db.dispose()


def test_the_api_answers_503_busy_with_a_retry_when_the_database_stays_locked(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from caregate.api.app import create_app

    db = Database(f"sqlite:///{tmp_path / 'busy-api.db'}")
    migrate.upgrade(db)
    services = Services(db, Settings(sqlite_path=tmp_path / "unused.db", secret_key="x" * 43, redis_url="",
                                     login_failure_floor_ms=0))
    monkeypatch.setattr(turns, "WAIT_SECONDS", 0.2)
    try:
        with TestClient(create_app(services), raise_server_exceptions=False) as client, _held(db):
            r = client.post("/v1/auth/login", json={"email": "nobody@example.org", "password": "wrong password"})
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert r.headers["retry-after"] == "1" and r.json()["type"] == "urn:caregate:problem:busy"
    finally:
        db.dispose()
