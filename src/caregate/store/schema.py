"""Every table module, imported so that `metadata` knows them all (migrations, tests, tools)."""

from __future__ import annotations

from caregate.store import audit, clinical, identity, reviews, tables  # noqa: F401 -- registers the tables
from caregate.store.tables import Base

metadata = Base.metadata
