"""Liveness and dependency health of the content service."""
