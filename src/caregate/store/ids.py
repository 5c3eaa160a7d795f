"""Identifiers: a type prefix and a time-ordered random part, so ids sort by creation (keyset paging)."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # every 10 bits as two characters
_SHIFTS = tuple(range(120, -1, -10))  # 130 bits: 13 pairs, most significant first


def _b32(number: int, length: int) -> str:
    out = []
    for _ in range(length):
        number, rem = divmod(number, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    """`prefix_` + 10 chars of milliseconds + 16 chars (80 bits) of randomness.

    Written two characters (10 bits) at a time: the same text as `_b32(millis, 10) + _b32(random, 16)`,
    a third of the time (every audit event takes an id).
    """
    return f"{prefix}_{encode(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10), 'big'))}"


def encode(millis: int, random: int) -> str:
    """50 bits of milliseconds and 80 random bits as 26 base32 characters."""
    number = (millis % (1 << 50)) << 80 | random
    return "".join([_PAIRS[(number >> shift) & 1023] for shift in _SHIFTS])
