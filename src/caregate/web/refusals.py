"""A use case's refusal shown on the page that asked: its words as sentences, and the status to answer with."""

from __future__ import annotations

from caregate.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from caregate.web.templating import sentence

REFUSALS: dict[type[ServiceError], int] = {Invalid: 422, Conflict: 409, NotFound: 404, Forbidden: 403}


def problems(error: ServiceError) -> list[str]:
    extra = error.problems if isinstance(error, Invalid) and error.problems != [error.detail] else []
    return [sentence(error.detail), *extra]


def status(error: ServiceError) -> int:
    return next((code for cls, code in REFUSALS.items() if isinstance(error, cls)), 400)
