"""Who is calling: any credential (cookie value, bearer token, JWT) resolved to a user."""
