"""API usage (filled in by the search work)

Revision ID: content_0007
Revises: content_0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

revision: str = "content_0007"
down_revision: str | None = "content_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
