"""Endpoints other FLTR services call; every one needs the service credential."""
