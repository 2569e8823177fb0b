"""A real OAuth 2 / OpenID Connect provider on loopback for the social sign-in tests."""
