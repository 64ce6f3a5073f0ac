"""The `ao-instrument` launcher (contracts C1 and C4)."""
