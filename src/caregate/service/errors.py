"""Errors of the service layer; the API turns them into problem+json, the CLI into exit codes.

    ServiceError
     ├── NotFound             the object does not exist, or not for this caller (no existence leak)
     ├── Unauthenticated      no valid credentials
 │    └── ReauthenticationRequired  valid, but the sign-in is too old for a sensitive operation
     ├── Forbidden            the engine said no; carries the Decision and its reasons
     ├── Invalid              input that breaks a rule; carries every problem found
     ├── Conflict             the request clashes with the current state (last owner, duplicates ...)
     └── ConfirmationRequired a charge must be confirmed first; carries the quote
"""

from __future__ import annotations

from typing import Any

from caregate.engine import Decision


class ServiceError(Exception):
    code = "error"
    title = "Request failed"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFound(ServiceError):
    code = "not-found"
    title = "Not found"


class Unauthenticated(ServiceError):
    code = "unauthenticated"
    title = "Authentication required"


class ReauthenticationRequired(Unauthenticated):
    code = "reauthentication-required"
    title = "Sign in again"


class Forbidden(ServiceError):
    code = "forbidden"
    title = "Not allowed"

    def __init__(self, decision: Decision, detail: str | None = None) -> None:
        super().__init__(detail or decision.message, extra={
            "reasons": [{"kind": str(r.kind), "code": r.code, "message": r.message} for r in decision.reasons]})
        self.decision = decision


class Invalid(ServiceError):
    code = "invalid"
    title = "Invalid request"

    def __init__(self, detail: str, problems: list[str] | None = None) -> None:
        super().__init__(detail, extra={"problems": problems or [detail]})
        self.problems = problems or [detail]


class Conflict(ServiceError):
    code = "conflict"
    title = "Conflict with the current state"


class ConfirmationRequired(ServiceError):
    code = "confirmation-required"
    title = "Confirmation required"
