"""Identifiers: the fast writer gives the same text as the plain base32 one, and ids sort by creation."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from caregate.store import ids


@given(millis=st.integers(min_value=0, max_value=(1 << 50) - 1), random=st.integers(min_value=0,
                                                                                    max_value=(1 << 80) - 1))
def test_encode_writes_what_plain_base32_writes(millis, random):
    assert ids.encode(millis, random) == ids._b32(millis, 10) + ids._b32(random, 16)


def test_ids_sort_by_creation():
    made = []
    for _ in range(3):
        made.append(ids.new_id("evt"))
        time.sleep(0.002)
    assert made == sorted(made) and all(len(i) == len("evt_") + 26 for i in made)
