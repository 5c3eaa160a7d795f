"""The REST API (FastAPI) under /v1. No access rule is written here: routes call the service."""
