"""``fltr-content``: serve the content service, run its migrations, and purge deleted
datasets whose grace period is over."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fltr_content.datasets.purge import purge_expired
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.processing.worker_cli import register as register_worker_commands
from fltr_content.settings import ContentSettings
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.vectors.store import VectorStore
from fltr_shared.cli import build_cli, load_settings
from fltr_shared.db import Database, create_engine, utcnow

cli = build_cli(
    service="content",
    settings_factory=ContentSettings,
    app_factory="fltr_content.app:create_app",
    migration_spec=CONTENT_MIGRATIONS,
)
datasets_cli = typer.Typer(help="Administer datasets.", no_args_is_help=True)
cli.add_typer(datasets_cli, name="datasets")


async def _purge(settings: ContentSettings, grace_days: int) -> list[str]:
    database = Database(create_engine(settings))
    vectors = VectorStore(
        settings.milvus_uri, settings.milvus_token, settings.db_connect_timeout_seconds
    )
    try:
        chunks = ChunkStore(vectors, shards=settings.milvus_shards)
        async with database.transaction() as session:
            return await purge_expired(session, chunks, utcnow(), grace_days)
    finally:
        await vectors.close()
        await database.dispose()


@datasets_cli.command("purge")
def purge(
    grace_days: Annotated[
        int | None,
        typer.Option(min=0, help="Overrides DATASET_DELETE_GRACE_DAYS."),
    ] = None,
) -> None:
    """Drop the Milvus collections and rows of datasets deleted longer ago than the grace
    period."""
    settings = load_settings(ContentSettings, console_logs=True)
    days = settings.dataset_delete_grace_days if grace_days is None else grace_days
    purged = asyncio.run(_purge(settings, days))
    typer.echo(f"Purged {len(purged)} dataset(s) deleted more than {days} day(s) ago.")


register_worker_commands(cli)


def main() -> None:
    cli()
