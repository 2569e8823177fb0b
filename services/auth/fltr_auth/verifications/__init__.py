"""Single-use, expiring tokens: email verification and password reset."""
