"""The child side of `bench.decide`: load one peer with the clinic, time it, report JSON.

Each peer runs in its own process so that its peak RSS is its own: the process imports only the
world generator and that peer's library. The report carries the peer's decisions as a string of 0/1
so the parent can check the four systems agree on every request.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.peers.measure import (
    Prepared,
    Timing,
    current_rss_kib,
    floor_ns,
    peak_rss_kib,
    percentile,
    time_each,
    time_loop,
    time_mode,
    warm_up,
)
from bench.peers.world import Request, Scale, World, build_requests, build_world

PEER_MODULES = {
    "baseline": "bench.peers.baseline_peer",
    "caregate": "bench.peers.caregate_peer",
    "cedarpy": "bench.peers.cedar_peer",
    "casbin": "bench.peers.casbin_peer",
}
# A mode is run up to `repeats` times and its fastest pass kept (as timeit does), while the passes so far
# took less than the budget: fast peers get the benefit of the doubt over noise, slow ones run once.
FULL_REPEATS, REPEAT_BUDGET_S = 3, 10.0


def load(scale: Scale, seed: int) -> tuple[World, list[Request]]:
    world = build_world(scale, seed)
    return world, build_requests(world, scale.requests, seed + 1)


def _best_of(
    run: Callable[[], tuple[list[bool], Timing]], repeats: int
) -> tuple[list[bool], Timing, list[bool]]:
    """The fastest of up to `repeats` passes; also whether every pass gave the same answers."""
    answers, best = run()
    spent, same = best.seconds, [True]
    for _ in range(repeats - 1):
        if spent >= REPEAT_BUDGET_S:
            break
        again, timing = run()
        same.append(again == answers)
        spent += timing.seconds
        best = min(best, timing, key=lambda t: t.seconds)
    return answers, best, same


def _timing_json(t: Timing) -> dict[str, Any]:
    return {"name": t.name, "seconds": t.seconds, "per_second": t.per_second, "ns_per_decision": 1e9 / t.per_second}


def _latency_json(latencies: list[int], floor: int) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "floor_p50_ns": floor,
        "p50_ns": percentile(ordered, 50),
        "p90_ns": percentile(ordered, 90),
        "p99_ns": percentile(ordered, 99),
        "p999_ns": percentile(ordered, 99.9),
        "mean_ns": sum(ordered) / len(ordered),
    }


def measure(p: Prepared, repeats: int) -> dict[str, Any]:
    """Time one prepared peer every way it offers; its decisions come from the main loop."""
    warm_up(p)
    floor = floor_ns(p)
    each_answers, latencies = time_each(p)
    answers, loop, loop_same = _best_of(partial(time_loop, p), repeats)
    inconsistent = [] if all(loop_same) and each_answers == answers else [p.loop_name]
    timings = [loop]
    for mode in p.modes:
        mode_answers, timing, same = _best_of(partial(time_mode, mode, len(p.args)), repeats)
        timings.append(timing)
        if mode_answers != answers or not all(same):
            inconsistent.append(mode.name)
    fastest = max(timings, key=lambda t: t.per_second)
    return {
        "per_request": _latency_json(latencies, floor),
        "loop": _timing_json(loop),
        "modes": [_timing_json(t) for t in timings],
        "fastest": _timing_json(fastest),
        "inconsistent_modes": inconsistent,
        "decisions": "".join("1" if a else "0" for a in answers),
        "allowed": sum(answers),
    }


def run_peer(name: str, scale: Scale, seed: int, repeats: int = FULL_REPEATS) -> dict[str, Any]:
    """Everything the parent needs from one peer, as JSON-ready data."""
    world, requests = load(scale, seed)
    start = time.perf_counter()
    peer = importlib.import_module(PEER_MODULES[name])
    prepared: Prepared = peer.prepare(world, requests)
    build_seconds = time.perf_counter() - start
    loaded = current_rss_kib()
    report = measure(prepared, repeats)
    peak = peak_rss_kib()  # before the untimed checks below, which are harness work, not the peer's
    notes = list(prepared.notes)
    if prepared.verify is not None:
        notes += prepared.verify()
    breakdown = prepared.breakdown() if prepared.breakdown is not None else {}
    return {
        "peer": name,
        "requests": len(requests),
        "build_seconds": build_seconds,
        "rss_loaded_kib": loaded,
        "peak_rss_kib": peak,
        "notes": notes,
        "breakdown": breakdown,
        **report,
    }
