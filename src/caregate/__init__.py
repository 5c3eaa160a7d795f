"""caregate: access control for clinic software."""

__version__ = "0.1.0"
