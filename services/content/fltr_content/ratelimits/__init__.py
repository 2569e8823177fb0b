"""Request rate limits per API key and per user, with ``RateLimit-*`` headers on every answer."""
