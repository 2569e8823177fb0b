"""One membership per user and organization (two simultaneous accepts cannot both insert).

Better Auth's migrator creates no such index; it ignores extra indexes, so a Better Auth
frontend on this database is unaffected.

Revision ID: auth_0004
Revises: auth_0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "auth_0004"
down_revision: str | None = "auth_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_members_organization_user", ["organization_id", "user_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_constraint("uq_members_organization_user", type_="unique")
