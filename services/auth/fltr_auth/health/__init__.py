"""Liveness and dependency health of the auth service."""
