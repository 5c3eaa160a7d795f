"""The admin console (server-rendered pages)."""
