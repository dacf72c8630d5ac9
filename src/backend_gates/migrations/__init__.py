"""Migration evidence for DB-MIGRATE / DB-ROLLBACK: the up-down-up round trip (roundtrip.py)."""
