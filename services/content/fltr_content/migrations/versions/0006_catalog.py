"""Catalog: sources, audit log (filled in by the catalog work)

Revision ID: content_0006
Revises: content_0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

revision: str = "content_0006"
down_revision: str | None = "content_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
