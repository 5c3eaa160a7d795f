"""Assemble a process: settings -> database (migrated) -> services. Used by `serve`, the CLI and tests."""

from __future__ import annotations

import logging

import structlog

from caregate.clock import Clock
from caregate.config import Settings
from caregate.identity.passwords import Passwords
from caregate.service.context import Services
from caregate.store import migrate
from caregate.store.db import Database


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(message)s")
    renderer = structlog.processors.JSONRenderer() if settings.log_json else structlog.dev.ConsoleRenderer(
        colors=False)
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso"), renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
    )


def build_services(settings: Settings, *, clock: Clock | None = None, run_migrations: bool = True) -> Services:
    db = Database(settings.resolved_database_url())
    if run_migrations:
        migrate.upgrade(db)
    passwords = Passwords(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)
    return Services(db, settings, clock=clock, passwords=passwords)
