"""Constants and small helpers shared by test modules (import as `support`; conftest files are not modules)."""

from __future__ import annotations

PASSWORD = "correct horse battery staple"
