"""The server's signing key for chain heads, checkpoints and archive manifests (Ed25519).

Ed25519 rather than an HMAC: an auditor can be given the public key and check an archive or a head
without being able to forge one. The key comes from CAREGATE_AUDIT_KEY (base64 of the 32-byte seed, or
a PEM), else from a PEM file (CAREGATE_AUDIT_KEY_FILE, default var/audit-key.pem), which is generated on
first use for a demo. Every signature names its key id; after a rotation the old public keys are listed
in CAREGATE_AUDIT_TRUSTED_KEYS so that older checkpoints still verify.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from threading import Lock

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class AuditKeyError(Exception):
    """The configured key cannot be read."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))


def public_text(key: Ed25519PublicKey) -> str:
    return _b64(key.public_bytes(*RAW))


def key_id_of(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(*RAW)).hexdigest()[:16]


def _private_from_text(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise AuditKeyError("the audit key must be an Ed25519 private key")
            return key
        return Ed25519PrivateKey.from_private_bytes(_unb64(text))
    except (ValueError, TypeError) as exc:
        raise AuditKeyError(f"the audit key cannot be read: {exc}") from None


def generate_file(path: Path) -> None:
    """Write a new key (0600) and its public half beside it, unless another process just did."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    path.with_suffix(".pub").write_text(public_text(key.public_key()) + "\n")


class Keyring:
    """The current signing key and every public key whose signatures are still trusted."""

    def __init__(self, private: Ed25519PrivateKey, trusted: Iterable[Ed25519PublicKey] = ()) -> None:
        self._private = private
        public = private.public_key()
        self.key_id = key_id_of(public)
        self.public_key = public_text(public)
        self._trusted = {key_id_of(k): k for k in (public, *trusted)}

    def sign(self, message: bytes) -> str:
        return _b64(self._private.sign(message))

    def verify(self, key_id: str | None, message: bytes, signature: str | None) -> bool:
        key = self._trusted.get(key_id or "")
        if key is None or not signature:
            return False
        try:
            key.verify(_unb64(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def knows(self, key_id: str | None) -> bool:
        return (key_id or "") in self._trusted


def load(*, key: str = "", key_file: Path, trusted: Iterable[str] = ()) -> Keyring:
    if key:
        private = _private_from_text(key)
    else:
        if not key_file.exists():
            generate_file(key_file)
        private = _private_from_text(key_file.read_text())
    others = []
    for text in trusted:
        try:
            others.append(Ed25519PublicKey.from_public_bytes(_unb64(text)))
        except ValueError as exc:
            raise AuditKeyError(f"a trusted audit public key cannot be read ({text[:12]}...): {exc}") from None
    return Keyring(private, others)


class LazyKeyring:
    """Load the keyring on first use, so that building the services touches no file."""

    def __init__(self, *, key: str, key_file: Path, trusted: Iterable[str]) -> None:
        self._args = (key, key_file, tuple(trusted))
        self._ring: Keyring | None = None
        self._lock = Lock()

    def get(self) -> Keyring:
        if self._ring is None:
            with self._lock:
                if self._ring is None:
                    key, key_file, trusted = self._args
                    self._ring = load(key=key, key_file=key_file, trusted=trusted)
        return self._ring
