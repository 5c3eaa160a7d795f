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
