"""The four systems compared by `bench.decide`, each behind the same small interface (see `measure.Peer`).

`world` builds the synthetic clinic and the request mix with the standard library only, so that each
peer's child process loads nothing but its own system and the memory figures compare like with like.
"""
