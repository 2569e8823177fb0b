"""Sign-in sessions: Better Auth's session tokens, cookies, bearer tokens and their lifetime."""
