"""`bench/lookup.py --quick --check` on PostgreSQL: a small clinic where the database's first pages and
fetch-and-filter in Python (decide() per row) must return the same sessions for every kind of member."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("CAREGATE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.mark.postgres
@pytest.mark.slow
def test_quick_benchmark_agrees_with_python() -> None:
    r = subprocess.run([sys.executable, "-m", "bench.lookup", "--quick", "--check", "--pg-admin", PG_ADMIN],
                       cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "SQL and Python agree for every member compared." in r.stdout
    assert "## Lookups (`bench/lookup.py`)" in r.stdout and "Limit" in r.stdout
