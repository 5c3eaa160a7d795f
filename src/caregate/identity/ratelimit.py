"""Fixed-window rate limits, shared through Redis when configured, kept in the process otherwise."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

log = structlog.get_logger("caregate.ratelimit")


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: int, now: datetime) -> Verdict:
        """Count one more and say whether it is within the limit."""
        ...

    def peek(self, key: str, *, limit: int, window_seconds: int, now: datetime) -> Verdict:
        """Whether one more would still be within the limit, without counting it."""
        ...


def _window(now: datetime, window_seconds: int) -> tuple[int, int]:
    epoch = now.timestamp()
    start = int(epoch // window_seconds) * window_seconds
    return start, max(1, math.ceil(start + window_seconds - epoch))


class MemoryRateLimiter:
    """One process's counts; fine for a single server, not shared between several."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window_seconds: int, now: datetime) -> Verdict:
        start, retry = _window(now, window_seconds)
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= start}
            count = self._counts.get((key, start), 0) + 1
            self._counts[(key, start)] = count
        return Verdict(count <= limit, max(0, limit - count), retry)

    def peek(self, key: str, *, limit: int, window_seconds: int, now: datetime) -> Verdict:
        start, retry = _window(now, window_seconds)
        with self._lock:
            count = self._counts.get((key, start), 0)
        return Verdict(count < limit, max(0, limit - count), retry)


class RedisRateLimiter:
    """Counts in Redis (INCR with an expiry), so every server shares one limit per key.

    If Redis cannot be reached the count falls back to this process (and says so in the log) rather
    than failing the request: a limit that is briefly per-server beats an outage.
    """

    def __init__(self, url: str, *, prefix: str = "caregate:rl:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._prefix = prefix
        self._fallback = MemoryRateLimiter()

    def hit(self, key: str, *, limit: int, window_seconds: int, now: datetime) -> Verdict:
        start, retry = _window(now, window_seconds)
        name = f"{self._prefix}{key}:{start}"
        try:
            pipe = self._redis.pipeline()
            pipe.incr(name)
            pipe.expire(name, window_seconds + 5)
            count = int(pipe.execute()[0])
        except self._errors as exc:
            log.warning("redis unreachable; rate limit kept in this process", error=str(exc))
            return self._fallback.hit(key, limit=limit, window_seconds=window_seconds, now=now)
        return Verdict(count <= limit, max(0, limit - count), retry)

    def peek(self, key: str, *, limit: int, window_seconds: int, now: datetime) -> Verdict:
        start, retry = _window(now, window_seconds)
        try:
            raw = self._redis.get(f"{self._prefix}{key}:{start}")
        except self._errors:
            return self._fallback.peek(key, limit=limit, window_seconds=window_seconds, now=now)
        count = int(raw) if raw is not None else 0
        return Verdict(count < limit, max(0, limit - count), retry)


def limiter_for(redis_url: str) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
