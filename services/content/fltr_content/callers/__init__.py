"""Who is calling the content service: users resolved through the auth service."""
