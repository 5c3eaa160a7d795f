"""Errors as RFC 9457 problem details (application/problem+json), with a message a person can act on.

Nothing else leaves the API when something goes wrong: no stack trace, no framework default page.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from caregate.service.errors import (
    Busy,
    ConfirmationRequired,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    TooManyRequests,
    Unauthenticated,
)

log = structlog.get_logger("caregate.api")
MEDIA_TYPE = "application/problem+json"
STATUS = {NotFound: 404, Unauthenticated: 401, Forbidden: 403, Invalid: 422, Conflict: 409,
          ConfirmationRequired: 409, TooManyRequests: 429, Busy: 503}


def problem(status: int, code: str, title: str, detail: str, request: Request | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": f"urn:caregate:problem:{code}", "title": title, "status": status,
                            "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
    headers = {"WWW-Authenticate": 'Bearer realm="caregate"'} if status == 401 else None
    if isinstance(exc, TooManyRequests | Busy):
        headers = {"Retry-After": str(exc.retry_after)}
    return problem(status, exc.code, exc.title, exc.detail, request, headers, **exc.extra)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    where = loc[0] if loc else "request"
    return f"{where} {'.'.join(parts)}".strip() if parts else str(where)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return problem(400, "malformed-json", "Malformed JSON",
                           "the request body is not valid JSON; check quotes, commas and brackets", request)
        problems.append(f"{_location(tuple(err.get('loc', ())))}: {err.get('msg', 'is not valid')}")
    return problem(422, "invalid", "Invalid request", "; ".join(problems[:5]), request, problems=problems[:50])


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: ("not-found", "Not found", "there is nothing at this address; see /docs for the API"),
              405: ("method-not-allowed", "Method not allowed", "this address does not accept that method"),
              413: ("too-large", "Request too large", "the request body is too large")}
    code, title, detail = titles.get(exc.status_code, ("error", "Request failed", str(exc.detail)))
    return problem(exc.status_code, code, title, detail, request, dict(exc.headers or {}) or None)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path, error=type(exc).__name__)
    return problem(500, "internal", "Internal error",
                   "something went wrong on our side; nothing was changed. Quote the request id when reporting it",
                   request)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
