"""Jinja2 for the console: autoescaped always, templates and helpers in one place."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from caregate import __version__

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def money(cents: int | None, currency: str = "USD") -> str:
    return f"{currency} {(cents or 0) / 100:,.2f}"


def day(value: datetime | None) -> str:
    return value.strftime("%d %b %Y") if value else ""


def words(value: object) -> str:
    """An identifier as words: 'check_in' -> 'check in'."""
    return str(value).replace("_", " ")


def sentence(text: str) -> str:
    """A service message as a sentence: 'the code is wrong' -> 'The code is wrong.'"""
    text = text.strip()
    if not text:
        return text
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?", ":")) else ".")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(money=money, day=day, words=words, sentence=sentence)
    env.globals.update(version=__version__)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
