"""Social sign-in with Google, GitHub and X (OAuth 2 / OpenID Connect), as Better Auth."""
