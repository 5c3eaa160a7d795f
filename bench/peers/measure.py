"""What every peer hands to the harness, and how the harness times it.

A peer is prepared once (data loaded, requests translated into its own form) and then timed three ways:
each call on its own (for p50/p99), the whole batch in a tight loop (for decisions/s), and any extra
batch modes the library offers. Building the requests happens before any clock starts, for every peer
alike: only the decision call is timed.
"""

from __future__ import annotations

import gc
import math
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Answer = Callable[[Any], bool]
WARMUP = 2_000  # calls made before timing, so caches and Python's specialising interpreter are warm


@dataclass(frozen=True, slots=True)
class Mode:
    """Another way to decide the whole batch (e.g. Cedar's batch API): returns one answer per request."""

    name: str
    run: Callable[[], list[bool]]


@dataclass(slots=True)
class Prepared:
    """A peer with its data loaded and every request already in the peer's own form."""

    name: str
    call: Callable[..., Any]  # one decision
    args: Sequence[tuple[Any, ...]]  # the arguments of `call`, one tuple per request
    answer: Answer | None  # reads "allowed" from what `call` returns; None when it returns a bool
    loop_name: str
    modes: list[Mode] = field(default_factory=list)
    # an untimed pass over the requests that raises if the peer reported errors, and returns notes
    verify: Callable[[], list[str]] | None = None
    # an untimed pass that counts what decided each request (caregate's reasons), to show the mix
    breakdown: Callable[[], dict[str, int]] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Timing:
    name: str
    seconds: float
    count: int

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


@contextmanager
def settled() -> Iterator[None]:
    """Start a timed section with no garbage left by the one before.

    The collector stays on inside (unlike `timeit`): casbin creates reference cycles on every call, and
    with collection off they pile up by the gigabyte; collecting them is part of what a caller pays.
    """
    gc.collect()
    yield


def answers(p: Prepared) -> list[bool]:
    """Every request decided once, untimed (for checks)."""
    call, answer = p.call, p.answer
    return [bool(call(*a) if answer is None else answer(call(*a))) for a in p.args]


def warm_up(p: Prepared) -> None:
    call = p.call
    for args in p.args[:WARMUP]:
        call(*args)


def time_each(p: Prepared) -> tuple[list[bool], list[int]]:
    """Every call timed on its own with perf_counter_ns; the answer is read after the clock stops."""
    clock, call, answer = time.perf_counter_ns, p.call, p.answer
    n = len(p.args)
    answers: list[bool] = [False] * n
    latencies: list[int] = [0] * n
    with settled():
        for i, args in enumerate(p.args):
            start = clock()
            result = call(*args)
            latencies[i] = clock() - start
            answers[i] = bool(result if answer is None else answer(result))
    return answers, latencies


def _nothing(*args: object) -> None:
    return None


def floor_ns(p: Prepared) -> int:
    """p50 of an empty call through the same per-call loop: the clock's and the loop's own cost."""
    empty = Prepared("floor", _nothing, p.args, None, "empty call")
    _, latencies = time_each(empty)
    return percentile(sorted(latencies), 50)


def time_loop(p: Prepared) -> tuple[list[bool], Timing]:
    """The whole batch in one tight loop, timed once; reading "allowed" is part of the cost, as for a caller."""
    call, answer, args = p.call, p.answer, p.args
    with settled():
        start = time.perf_counter()
        answers = [call(*a) for a in args] if answer is None else [answer(call(*a)) for a in args]
        seconds = time.perf_counter() - start
    return [bool(a) for a in answers], Timing(p.loop_name, seconds, len(args))


def time_mode(mode: Mode, count: int) -> tuple[list[bool], Timing]:
    with settled():
        start = time.perf_counter()
        answers = mode.run()
        seconds = time.perf_counter() - start
    return answers, Timing(mode.name, seconds, count)


def percentile(sorted_values: Sequence[int], q: float) -> int:
    """The nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def peak_rss_kib() -> int:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def current_rss_kib() -> int:
    """Resident set size now, from /proc (0 where there is no /proc)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * resource.getpagesize() // 1024
