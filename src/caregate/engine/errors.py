"""Errors of the engine layer.

    EngineError
     └── PolicyError            a role, permission or condition that cannot be accepted
          └── RoleValidationError   a custom role with one or more problems, each named

`decide()` never raises to say no: a refusal is a `Decision`. These errors are for definitions
that are wrong, and are raised when a definition is parsed or validated, before it is saved.
"""

from __future__ import annotations


class EngineError(Exception):
    pass


class PolicyError(EngineError):
    pass


class RoleValidationError(PolicyError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))
