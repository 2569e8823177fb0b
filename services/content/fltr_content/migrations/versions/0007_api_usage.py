"""API usage: one row per search, chunk or MCP call (seed 000's api_usage)

Revision ID: content_0007
Revises: content_0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "content_0007"
down_revision: str | None = "content_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_usage",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("api_key_id", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.Text(), nullable=True),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_time_ms", sa.Integer(), nullable=False),
        sa.Column("tokens_used", sa.Integer(), nullable=True),
        sa.Column("credits", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_usage")),
    )
    with op.batch_alter_table("api_usage", schema=None) as batch_op:
        batch_op.create_index("api_usage_user_created_idx", ["user_id", "created_at"])
        batch_op.create_index("api_usage_dataset_created_idx", ["dataset_id", "created_at"])
        batch_op.create_index("api_usage_key_created_idx", ["api_key_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("api_usage", schema=None) as batch_op:
        batch_op.drop_index("api_usage_key_created_idx")
        batch_op.drop_index("api_usage_dataset_created_idx")
        batch_op.drop_index("api_usage_user_created_idx")
    op.drop_table("api_usage")
