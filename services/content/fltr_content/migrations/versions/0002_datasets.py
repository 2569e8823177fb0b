"""Datasets: the catalog's table (seed 000), its listing indexes and the unique slug

Revision ID: content_0002
Revises: content_0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "content_0002"
down_revision: str | None = "content_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("owner_type", sa.Text(), server_default=sa.text("'user'"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("category", sa.Text(), server_default=sa.text("'other'"), nullable=False),
        sa.Column("visibility", sa.Text(), server_default=sa.text("'public'"), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'uploading'"), nullable=False),
        sa.Column("pricing_model", sa.Text(), server_default=sa.text("'free'"), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("price_monthly_cents", sa.Integer(), nullable=True),
        sa.Column("price_annual_cents", sa.Integer(), nullable=True),
        sa.Column("embedding_model", sa.Text(), nullable=True),
        sa.Column("embedding_dimension", sa.Integer(), nullable=True),
        sa.Column("document_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("view_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("download_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rating_average", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("rating_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("is_featured", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "category IN ('medical', 'legal', 'travel', 'finance', 'tech', 'other')",
            name=op.f("ck_datasets_category"),
        ),
        sa.CheckConstraint("owner_type IN ('user', 'team')", name=op.f("ck_datasets_owner_type")),
        sa.CheckConstraint(
            "pricing_model IN ('free', 'one_time', 'subscription')",
            name=op.f("ck_datasets_pricing_model"),
        ),
        sa.CheckConstraint(
            "status IN ('uploading', 'processing', 'ready', 'failed')",
            name=op.f("ck_datasets_status"),
        ),
        sa.CheckConstraint(
            "visibility IN ('public', 'private', 'premium')", name=op.f("ck_datasets_visibility")
        ),
        sa.CheckConstraint(
            "(price_cents IS NULL OR price_cents >= 0) AND (price_monthly_cents IS NULL OR price_monthly_cents >= 0) AND (price_annual_cents IS NULL OR price_annual_cents >= 0)",
            name=op.f("ck_datasets_prices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("slug", name=op.f("uq_datasets_slug")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index("datasets_category_idx", ["category", "created_at"], unique=False)
        batch_op.create_index("datasets_created_at_idx", ["created_at", "id"], unique=False)
        batch_op.create_index("datasets_featured_idx", ["is_featured", "created_at"], unique=False)
        batch_op.create_index("datasets_owner_idx", ["owner_type", "owner_id"], unique=False)
        batch_op.create_index("datasets_visibility_idx", ["visibility", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index("datasets_visibility_idx")
        batch_op.drop_index("datasets_owner_idx")
        batch_op.drop_index("datasets_featured_idx")
        batch_op.drop_index("datasets_created_at_idx")
        batch_op.drop_index("datasets_category_idx")

    op.drop_table("datasets")
