"""Tables of identity and security policy (login sessions, 2FA, API keys ...): see caregate.identity."""

from __future__ import annotations
