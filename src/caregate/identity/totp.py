"""Time-based one-time passwords (RFC 6238) with a ±1 step window and no reuse of a code."""

from __future__ import annotations

import hmac
import io
import re
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
_CODE = re.compile(r"^[0-9]{6}$")  # ASCII digits only: "١٢٣٤٥٦" is not a code


def new_secret() -> str:
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an SVG QR code, for authenticator apps."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False,
                                   title="Scan with your authenticator app")
    return buffer.getvalue().decode("utf-8")


def well_formed(code: str) -> bool:
    return bool(_CODE.fullmatch(code))


def matching_step(secret: str, code: str, now: datetime, *, last_step: int | None) -> int | None:
    """The time step whose code equals `code` (within one step either side), if it was not used before.

    Returns the step so the caller can record it: a code, and any earlier one, can then never be reused.
    """
    if not well_formed(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator shows at `moment` (tests and the demo use it)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(moment)
