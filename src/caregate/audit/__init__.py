"""The audit trail: every access and change, written in the transaction of what it records."""
