"""Python equivalents of npm better-auth 1.7.25's ids, hashes, signed cookies and JWKs."""
