"""The console's web hygiene: the login cookie, CSRF tokens, the origin check and response headers.

The login cookie holds the same opaque `cgs_` token the API takes as a bearer token (stored hashed
server-side), HttpOnly so no script can read it, SameSite=Lax so other sites' forms do not carry it.

CSRF tokens are synchronizer tokens bound to the login session: an HMAC, keyed by the session's own
secret token, of a fixed label. Only someone holding the cookie can compute it, it changes with every
login, and a page leaking it does not leak the token (HMAC is one-way). It needs no server-side state
or shared server secret, so it survives restarts and works across processes. Before login (sign-in
and invitation pages) a random double-submit token in its own HttpOnly cookie plays the same part.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "cg_session"
PRE_COOKIE = "cg_pre"
FLASH_COOKIE = "cg_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LABEL = b"caregate-console-csrf-v1"

# Self-hosted scripts and styles only; no inline script or style, no framing, forms post only to us.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
PAGE_HEADERS = {
    "content-security-policy": CSP,
    "cache-control": "no-store",  # pages show personal data: keep them out of shared and back-button caches
    "cross-origin-resource-policy": "same-origin",
    # not no-referrer: with it browsers send "Origin: null" on our own form posts, and the origin check
    # needs the real one; same-origin still tells other sites nothing
    "referrer-policy": "same-origin",
}


def _mac(key: str, message: bytes) -> str:
    digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def csrf_token(session_token: str) -> str:
    return _mac(session_token, _LABEL)


def new_pre_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether the submitted token matches the session's (or, before login, the double-submit cookie)."""
    if not submitted or len(submitted) > 200:
        return False
    session = request.cookies.get(SESSION_COOKIE)
    if session and hmac.compare_digest(submitted, csrf_token(session)):
        return True
    pre = request.cookies.get(PRE_COOKIE)
    return bool(pre) and hmac.compare_digest(submitted, pre or "")


def origin_ok(request: Request, public_url: str) -> bool:
    """Refuse a cross-site request outright when the browser says where it came from."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    given = urlsplit(origin)
    own = {(request.url.scheme, request.url.netloc)}
    public = urlsplit(public_url)
    if public.netloc:
        own.add((public.scheme, public.netloc))
    return (given.scheme, given.netloc) in own


def set_session_cookie(response: Response, token: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=secure)


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)


def set_pre_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(PRE_COOKIE, value, max_age=3600, path="/", httponly=True, samesite="lax", secure=secure)


def sign_flash(session_token: str, message: str) -> str:
    """A short message for the next page, signed so no one else can put words on it."""
    body = base64.urlsafe_b64encode(message[:300].encode("utf-8")).decode("ascii")
    return f"{body}.{_mac(session_token, b'flash:' + body.encode('ascii'))}"


def read_flash(session_token: str | None, value: str | None) -> str | None:
    if not session_token or not value or "." not in value or len(value) > 1000:
        return None
    body, _, mac = value.partition(".")
    if not hmac.compare_digest(mac, _mac(session_token, b"flash:" + body.encode("ascii", "replace"))):
        return None
    try:
        return base64.urlsafe_b64decode(body.encode("ascii")).decode("utf-8")
    except ValueError:
        return None


def safe_next(value: str | None) -> str:
    """Only a path on this site may be a redirect target after login (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/"
    return value
