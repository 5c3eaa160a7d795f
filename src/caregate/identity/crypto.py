"""Encryption at rest for the few secrets that must be read back (TOTP seeds): AES-256-GCM.

Passwords, tokens and API keys are hashed, never encrypted. A TOTP seed cannot be hashed (the server
must compute codes from it), so it is encrypted with a server key from configuration.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"


class SecretBoxError(ValueError):
    pass


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise SecretBoxError("the encryption key must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_text(cls, text: str) -> SecretBox:
        try:
            return cls(base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4)))
        except (ValueError, TypeError):
            raise SecretBoxError("the encryption key must be 32 bytes, base64-encoded") from None

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, token: str, *, context: str) -> str:
        version, _, payload = token.partition(":")
        if version != VERSION:
            raise SecretBoxError("unknown secret format")
        raw = base64.urlsafe_b64decode(payload.encode())
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag:
            raise SecretBoxError("the secret cannot be opened with this key") from None


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
