"""Password hashing with argon2id (pwdlib): hash, verify, and notice when parameters changed."""

from __future__ import annotations

from dataclasses import dataclass

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# Longer input would make each hash costlier for no gain: refuse it before hashing.
MAX_PASSWORD_LENGTH = 256
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    new_hash: str | None = None  # set when the stored hash used old parameters


class Passwords:
    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
        self._hasher = PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost,
                                                  parallelism=parallelism),))
        # A hash to verify against when the account does not exist, so timing does not tell.
        self._dummy = self._hasher.hash("caregate-timing-equaliser")

    def hash(self, password: str) -> str:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValueError(f"password longer than {MAX_PASSWORD_LENGTH} characters")
        return self._hasher.hash(password)

    def verify(self, password: str, stored: str | None) -> Verification:
        if len(password) > MAX_PASSWORD_LENGTH:
            self._hasher.verify("x", self._dummy)
            return Verification(False)
        if stored is None:
            self._hasher.verify(password, self._dummy)
            return Verification(False)
        try:
            ok, updated = self._hasher.verify_and_update(password, stored)
        except Exception:  # a corrupt or foreign hash counts as a wrong password
            return Verification(False)
        return Verification(ok, updated if ok else None)


def password_problems(password: str, *, min_length: int = MIN_PASSWORD_LENGTH) -> list[str]:
    """The rules a new password breaks (the full policy is per organisation, see identity issue)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"use at least {min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"use at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip() != password or not password.strip():
        problems.append("do not start or end with spaces")
    return problems
