"""FLTR auth service: users, sessions, teams, API keys, credits, billing (fltr_auth database)."""

__version__ = "0.1.0"
