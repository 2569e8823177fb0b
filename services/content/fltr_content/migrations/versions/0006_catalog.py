"""Catalog: dataset sources, the audit log, listing indexes for the rating and popularity
sorts and the owner filter, and the purge's index on deleted_at

Revision ID: content_0006
Revises: content_0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "content_0006"
down_revision: str | None = "content_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dataset_sources",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.Text(), nullable=False),
        sa.Column("source_type", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sync_frequency", sa.Text(), server_default=sa.text("'manual'"), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
        sa.CheckConstraint(
            "source_type IN ('pdf', 'csv', 'url', 'api', 'manual')",
            name=op.f("ck_dataset_sources_source_type"),
        ),
        sa.CheckConstraint(
            "sync_frequency IN ('manual', 'daily', 'weekly', 'monthly')",
            name=op.f("ck_dataset_sources_sync_frequency"),
        ),
        sa.CheckConstraint(
            "size_bytes IS NULL OR size_bytes >= 0", name=op.f("ck_dataset_sources_size_bytes")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_sources_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_sources")),
    )
    with op.batch_alter_table("dataset_sources", schema=None) as batch_op:
        batch_op.create_index(
            "dataset_sources_dataset_created_idx", ["dataset_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("actor_type", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("resource_type", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=True),
        sa.Column("dataset_id", sa.Text(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "actor_type IN ('user', 'api_key', 'team', 'system')",
            name=op.f("ck_audit_log_actor_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            "audit_log_actor_created_idx", ["actor_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "audit_log_dataset_created_idx", ["dataset_id", "created_at"], unique=False
        )

    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index("datasets_rating_idx", ["rating_average", "id"], unique=False)
        batch_op.create_index("datasets_popularity_idx", ["download_count", "id"], unique=False)
        batch_op.create_index(
            "datasets_owner_created_idx", ["owner_id", "created_at"], unique=False
        )
        batch_op.create_index("datasets_deleted_at_idx", ["deleted_at"], unique=False)

    # the listing's q: trigram indexes on PostgreSQL, plain ones on SQLite
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        for column in ("name", "description"):
            batch_op.create_index(
                f"datasets_{column}_trgm_idx",
                [column],
                unique=False,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index("datasets_description_trgm_idx")
        batch_op.drop_index("datasets_name_trgm_idx")
        batch_op.drop_index("datasets_deleted_at_idx")
        batch_op.drop_index("datasets_owner_created_idx")
        batch_op.drop_index("datasets_popularity_idx")
        batch_op.drop_index("datasets_rating_idx")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("audit_log_dataset_created_idx")
        batch_op.drop_index("audit_log_actor_created_idx")
    op.drop_table("audit_log")

    with op.batch_alter_table("dataset_sources", schema=None) as batch_op:
        batch_op.drop_index("dataset_sources_dataset_created_idx")
    op.drop_table("dataset_sources")
