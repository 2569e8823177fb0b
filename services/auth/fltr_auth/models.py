"""Every model of the fltr_auth database, imported so Alembic sees the whole metadata."""

from __future__ import annotations

from fltr_auth.db import Base

metadata = Base.metadata
