"""Short human codes: recovery codes (ten, single use) and emailed login codes, stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

RECOVERY_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY = re.compile(r"^[a-z0-9]{5}-?[a-z0-9]{5}$")
_EMAIL = re.compile(r"^[0-9]{6}$")


def _digest(kind: str, code: str) -> str:
    # Codes are short; they are worth guessing only online, where attempts are limited. The hash keeps
    # them out of the database in plain text.
    return hashlib.sha256(f"{kind}:{code}".encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(_ALPHABET) for _ in range(5)) + "-" +
            "".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(RECOVERY_COUNT)]


def normal_recovery(code: str) -> str | None:
    code = code.strip().lower()
    if not _RECOVERY.fullmatch(code):
        return None
    return code.replace("-", "")


def recovery_hash(code: str) -> str:
    return _digest("recovery", code.replace("-", ""))


def new_email_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def email_code_ok(code: str) -> bool:
    return bool(_EMAIL.fullmatch(code))


def email_hash(code: str) -> str:
    return _digest("email", code)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
