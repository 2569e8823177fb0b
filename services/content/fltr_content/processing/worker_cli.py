"""``fltr-content worker`` and ``fltr-content beat``: the Celery side of Celery mode."""

from __future__ import annotations

from typing import Annotated

import typer

from fltr_content.processing.celery_app import make_celery, register_tasks
from fltr_content.settings import ContentSettings
from fltr_shared.cli import load_settings


def _schedule_file(settings: ContentSettings) -> str:
    """Beat's state file lives in VAR_DIR, not wherever the process was started."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return str(settings.var_dir / "celerybeat-schedule")


def _app() -> tuple[ContentSettings, object]:
    settings = load_settings(ContentSettings, console_logs=True)
    if not settings.celery_broker_url:
        typer.echo("CELERY_BROKER_URL is not set: jobs run inside `fltr-content serve`.", err=True)
        raise typer.Exit(2)
    app = make_celery(settings)
    register_tasks(app)
    return settings, app


def worker(
    beat: Annotated[
        bool, typer.Option(help="Also run the scheduler (one per deployment).")
    ] = False,
    loglevel: Annotated[str, typer.Option(help="Celery's log level.")] = "INFO",
) -> None:
    """Run jobs from the queue, one at a time per process (start more processes to scale)."""
    settings, app = _app()
    argv = ["worker", "-P", "solo", f"--loglevel={loglevel}", "-Q", "fltr-jobs"]
    if beat:
        argv += ["-B", "-s", _schedule_file(settings)]
    app.worker_main(argv)  # type: ignore[attr-defined]


def beat(loglevel: Annotated[str, typer.Option(help="Celery's log level.")] = "INFO") -> None:
    """Run the scheduler alone: it re-sends due jobs (retries, jobs of dead workers)."""
    settings, app = _app()
    app.start(["beat", f"--loglevel={loglevel}", "-s", _schedule_file(settings)])  # type: ignore[attr-defined]


def register(cli: typer.Typer) -> None:
    cli.command("worker")(worker)
    cli.command("beat")(beat)
