"""Errors of the service layer; the API turns them into problem+json, the CLI into exit codes.

    ServiceError
     ├── NotFound             the object does not exist, or not for this caller (no existence leak)
     ├── Unauthenticated      no valid credentials
     │    ├── StepRequired            logged in, but a step is owed first (2FA, enrolment, new password)
     │    └── ReauthenticationRequired  a sensitive operation needs a fresh password or 2FA
     ├── TooManyRequests      over a rate limit; carries when to retry
     ├── Busy                 the database stayed locked by another writer; carries when to retry
     ├── Forbidden            the engine said no; carries the Decision and its reasons
     ├── Invalid              input that breaks a rule; carries every problem found
     ├── Conflict             the request clashes with the current state (last owner, duplicates ...)
     └── ConfirmationRequired a charge must be confirmed first; carries the quote
"""

from __future__ import annotations

from typing import Any

from caregate.engine import Decision


class KeepChanges(Exception):
    """Refuse with `error`, but commit what this unit recorded first (failed-login counts, a lockout,
    a session ended for idleness, and their audit events must survive the refusal)."""

    def __init__(self, error: ServiceError) -> None:
        super().__init__(error.detail)
        self.error = error


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


class StepRequired(Unauthenticated):
    title = "Another step is needed"

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(detail, extra={"step": step})
        self.code = step.replace("_", "-")


class ReauthenticationRequired(Unauthenticated):
    code = "reauthentication-required"
    title = "Confirm it is you"


class TooManyRequests(ServiceError):
    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class Busy(ServiceError):
    code = "busy"
    title = "Busy, try again"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after


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
