"""Write transactions on one SQLite file take turns in a queue instead of in SQLite's busy handler.

SQLite lets one writer in at a time; a second `BEGIN IMMEDIATE` waits in the busy handler, which
sleeps 1, 2, 5, 10 ... 100 ms between attempts. Under a handful of concurrent requests that sleep, not
the work, sets the pace: measured with eight threads writing audited transactions, p99 went to 105 ms
and the worst wait to 0.6-0.8 s for 0.5 ms of work each (docs/benchmarks.md). So a write transaction
first takes its turn: threads of this process queue on a lock, which hands over the moment it is
released; processes (the server and a `caregate` command run from cron) take a lock file beside the
database, asked for every fraction of a millisecond. SQLite's own locking still guards the file against other programs.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WAIT_SECONDS = 15.0  # as long as SQLite's busy timeout: then the writer gives up with a clear error
_FIRST_PAUSE, _LONGEST_PAUSE = 0.0002, 0.002


class DatabaseBusy(Exception):
    """Another writer held the database for longer than WAIT_SECONDS."""


class _Queue:
    """A re-entrant lock that hands over in arrival order (threading's locks let the releasing thread
    take them straight back, so one busy thread can starve the others for many turns)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[tuple[int, threading.Lock]] = deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me or (self._owner is None and not self._waiting):
                self._owner, self._depth = me, self._depth + 1
                return True
            baton = threading.Lock()
            baton.acquire()
            self._waiting.append((me, baton))
        if baton.acquire(timeout=timeout):
            return True  # handed over: release() made this thread the owner
        with self._mutex:
            if self._owner == me:  # handed over just as the wait ran out
                return True
            self._waiting.remove((me, baton))
            return False

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            if self._waiting:
                self._owner, baton = self._waiting.popleft()
                self._depth = 1
                baton.release()
            else:
                self._owner = None

    @property
    def depth(self) -> int:
        """How deep the calling thread holds it (0: not at all)."""
        return self._depth if self._owner == threading.get_ident() else 0


class Turns:
    """One SQLite database's queue of writers (per process: a lock; across processes: a lock file)."""

    def __init__(self, lock_file: Path | None) -> None:
        self._queue = _Queue()
        self._lock_file = lock_file
        self._fd: int | None = None
        self._pid = 0  # the process that opened _fd: a forked child opens its own (flock is per open file)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the database's write turn for the block (re-entrant within a thread)."""
        if not self._queue.acquire(WAIT_SECONDS):
            raise DatabaseBusy(f"another writer held the database for more than {WAIT_SECONDS:.0f} s")
        outermost = self._queue.depth == 1
        try:
            if outermost and self._lock_file is not None:
                self._take_file()
            try:
                yield
            finally:
                if outermost and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._queue.release()

    def _take_file(self) -> None:
        if self._fd is None or self._pid != os.getpid():
            assert self._lock_file is not None
            self._fd, self._pid = os.open(self._lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600), os.getpid()
        deadline, pause = time.monotonic() + WAIT_SECONDS, _FIRST_PAUSE
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DatabaseBusy(f"another process held the database for more than {WAIT_SECONDS:.0f} s") \
                        from None
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid() and self._queue.acquire(WAIT_SECONDS):
            try:
                os.close(self._fd)
                self._fd = None
            finally:
                self._queue.release()
