"""Opaque secrets (login tokens, invitation links, API keys): made random, stored only as hashes.

The secrets are 256-bit random, so a fast hash (SHA-256) is enough to store them: there is nothing to
brute-force. Lookups go by the hash; the final comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_TOKEN_LENGTH = 200


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)


def well_formed(token: object, prefix: str) -> bool:
    """Cheap shape check before any lookup: the right prefix, URL-safe characters, a sane length."""
    if not isinstance(token, str) or not 20 <= len(token) <= MAX_TOKEN_LENGTH:
        return False
    if not token.startswith(prefix + "_"):
        return False
    return all(c.isalnum() or c in "-_" for c in token)
