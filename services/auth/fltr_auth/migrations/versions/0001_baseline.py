"""Baseline of the fltr_auth database: the revision every later one builds on.

Revision ID: auth_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

revision: str = "auth_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Identity (users, sessions, accounts, ...) arrives in the next revision.
    pass


def downgrade() -> None:
    pass
