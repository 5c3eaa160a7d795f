"""Identity: passwords, tokens, invitations and (later) 2FA, lockout, API keys and SSO."""
