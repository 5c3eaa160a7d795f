"""Use cases: the only layer that combines store, engine, identity and audit."""
