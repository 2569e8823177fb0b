"""Where the content service's migrations live and which version table they use."""

from fltr_shared.migrations import MigrationSpec

CONTENT_MIGRATIONS = MigrationSpec(
    script_location="fltr_content:migrations", version_table="alembic_version_content"
)
