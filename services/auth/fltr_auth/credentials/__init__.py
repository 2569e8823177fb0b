"""Email-and-password flows: sign up, sign in, change password (users + sessions together)."""
