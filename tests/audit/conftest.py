"""Fixtures of the audit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from caregate.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared test settings, plus webhooks allowed to reach this machine (the test's own server) and
    a checkpoint every 5 events (so that short chains have several)."""
    return Settings(sqlite_path=tmp_path / "unused.db", public_url="http://testserver", smtp_url="",
                    argon2_time_cost=1, argon2_memory_kib=1024, audit_webhook_allow_private=True,
                    audit_checkpoint_every=5)


@pytest.fixture(params=["one pass", "two parts"])
def walk(request: pytest.FixtureRequest, services, monkeypatch: pytest.MonkeyPatch) -> str:
    """Verification walks a chain in one pass, or (PostgreSQL, a long chain) in two halves at once that it
    joins afterwards: tamper tests run both ways, the second by calling every chain long."""
    from caregate.audit import verify as verifying

    if request.param == "two parts":
        if not services.db.is_postgres:
            pytest.skip("SQLite walks in one pass")
        monkeypatch.setattr(verifying, "PARALLEL_FROM", 1)
    else:
        monkeypatch.setattr(verifying, "PARALLEL_FROM", 10**12)
    return str(request.param)
