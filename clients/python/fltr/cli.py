"""``fltr``: the curator CLI. Log in, create and list datasets, upload folders (resumable:
files whose bytes the dataset already holds are skipped), and watch processing jobs.

Exit codes: 0 on success, 1 when the service refused something or a file or job failed,
2 for bad usage (Typer's own).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from fltr import config
from fltr.client import (
    MAX_FILE_BYTES,
    MAX_FILES_PER_REQUEST,
    FltrClient,
    FltrError,
    Job,
    UploadReport,
)

app = typer.Typer(help="FLTR for curators: datasets, uploads and processing jobs.")
datasets_app = typer.Typer(help="Create and list datasets.")
jobs_app = typer.Typer(help="Follow processing jobs.")
app.add_typer(datasets_app, name="datasets")
app.add_typer(jobs_app, name="jobs")

HASH_CHUNK = 1024 * 1024
LISTED_NAMES = 20  # name skipped or failed files one by one up to this many
FILE_BARS_KEPT = 10  # with more files, a file's bar disappears once it is sent
UNFINISHED = ("queued", "running")


def _out() -> Console:
    # made per call: CliRunner and shells swap sys.stdout between commands. No markup: file
    # names, dataset names and error details are printed as they are ("notes [draft].md").
    return Console(highlight=False, soft_wrap=True, markup=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def _fail(message: str) -> NoReturn:
    _err().print(Text.assemble(("error:", "red"), " ", message))
    raise typer.Exit(1)


@contextlib.contextmanager
def _client(*, need_token: bool = True) -> Iterator[FltrClient]:
    try:
        settings = config.load()
    except config.ConfigError as exc:
        _fail(str(exc))
    if need_token and not settings.token:
        _fail("not logged in: run `fltr login` (or set FLTR_TOKEN)")
    with FltrClient(settings.api_url, settings.auth_url, settings.token) as client:
        try:
            yield client
        except FltrError as exc:
            if exc.status_code == 401:
                _fail(f"{exc.detail} (run `fltr login` again)")
            _fail(f"{exc.code}: {exc.detail}")
        except httpx.TransportError as exc:
            _fail(f"cannot reach FLTR at {settings.api_url}: {exc}")


# -- login ------------------------------------------------------------------------------------


@app.command()
def login(
    email: Annotated[str | None, typer.Option(help="Sign in with this email.")] = None,
    api_key: Annotated[
        str | None,
        typer.Option(help="Use an API key (fltr_...) instead of a password; '-' reads stdin."),
    ] = None,
    api_url: Annotated[
        str | None, typer.Option(help="The content service (default: saved or localhost:8000).")
    ] = None,
    auth_url: Annotated[
        str | None, typer.Option(help="The auth service (default: saved or localhost:8001).")
    ] = None,
) -> None:
    """Sign in (prompts for the password) or save an API key.

    The credential is checked, then saved with mode 0600 at ~/.config/fltr/config.json.
    """
    current = config.load()
    api = (api_url or current.api_url).rstrip("/")
    auth = (auth_url or current.auth_url).rstrip("/")
    with FltrClient(api, auth) as client:
        try:
            if api_key is not None:
                key = sys.stdin.readline().strip() if api_key == "-" else api_key.strip()
                if not key:
                    _fail("the API key is empty")
                client.token = key
            else:
                address = email or typer.prompt("Email")
                password = typer.prompt("Password", hide_input=True)
                client.sign_in(address, password)
            who = client.me()
        except FltrError as exc:
            _fail(f"{exc.code}: {exc.detail}")
        except httpx.TransportError as exc:
            _fail(f"cannot reach FLTR: {exc}")
        assert client.token is not None
        path = config.save(config.Config(api_url=api, auth_url=auth, token=client.token))
    _out().print(f"Logged in as {who.get('email')} ({who.get('credential')}); saved to {path}")


@app.command()
def logout() -> None:
    """Forget the saved token (the URLs are kept)."""
    saved = config.load_saved()
    path = config.save(config.Config(api_url=saved.api_url, auth_url=saved.auth_url))
    _out().print(f"Logged out; {path} holds no token.")


# -- datasets ---------------------------------------------------------------------------------


@datasets_app.command("create")
def datasets_create(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    slug: Annotated[str | None, typer.Option(help="Default: made from the name.")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    category: Annotated[
        str | None, typer.Option(help="medical, legal, travel, finance, tech or other.")
    ] = None,
    visibility: Annotated[str | None, typer.Option(help="public, private or premium.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON answer.")] = False,
) -> None:
    """Create a dataset and print its slug."""
    with _client() as client:
        dataset = client.create_dataset(
            name, slug=slug, description=description, category=category, visibility=visibility
        )
    if as_json:
        _out().print_json(json.dumps(dataset.raw))
    else:
        _out().print(f"Created dataset {dataset.slug} ({dataset.id}, {dataset.visibility})")


@datasets_app.command("list")
def datasets_list(
    mine: Annotated[bool, typer.Option("--mine", help="Only datasets you own.")] = False,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Match on name.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List datasets you can see (newest first)."""
    with _client() as client:
        owner = str(client.me()["user_id"]) if mine else None
        found = []
        for dataset in client.iter_datasets(owner=owner, q=query):
            found.append(dataset)
            if len(found) >= limit:
                break
    out = _out()
    if as_json:
        for dataset in found:
            out.print(json.dumps(dataset.raw))
        return
    if not found:
        out.print("No datasets.")
        return
    table = Table("slug", "name", "visibility", "status", "documents")
    for dataset in found:
        table.add_row(
            dataset.slug,
            dataset.name,
            dataset.visibility,
            dataset.status,
            str(dataset.document_count),
        )
    out.print(table)


# -- upload -----------------------------------------------------------------------------------


def collect_files(paths: Sequence[Path], *, recursive: bool) -> list[Path]:
    """The files to send: files as given, folders' files (recursively by default), hidden
    files and folders (.git, .DS_Store) left out, each file once, in a stable order."""
    found: dict[Path, None] = {}
    for given in paths:
        if given.is_file():
            found.setdefault(given, None)
            continue
        if not given.is_dir():
            _fail(f"{given}: no such file or folder")
        candidates = given.rglob("*") if recursive else given.iterdir()
        for path in sorted(candidates):
            hidden = any(part.startswith(".") for part in path.relative_to(given).parts)
            if path.is_file() and not hidden:
                found.setdefault(path, None)
    return list(found)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_all(files: list[Path], out: Console) -> dict[Path, str]:
    hashes: dict[Path, str] = {}
    total = sum(path.stat().st_size for path in files)
    with Progress(
        TextColumn("hashing"), BarColumn(), DownloadColumn(), console=out, transient=True
    ) as progress:
        task = progress.add_task("hashing", total=total)
        for path in files:
            hashes[path] = sha256_of(path)
            progress.advance(task, path.stat().st_size)
    return hashes


def _names(paths: Sequence[Path]) -> str:
    shown = ", ".join(str(p) for p in paths[:LISTED_NAMES])
    more = len(paths) - LISTED_NAMES
    return shown + (f" and {more} more" if more > 0 else "")


def _send_with_progress(
    client: FltrClient,
    dataset: str,
    files: list[Path],
    out: Console,
    *,
    batch_files: int,
    max_file_bytes: int,
) -> UploadReport:
    sizes = {path: path.stat().st_size for path in files}
    sent: dict[Path, int] = {}
    bars: dict[Path, TaskID] = {}
    keep_bars = len(files) <= FILE_BARS_KEPT
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=out,
    ) as progress:
        overall = progress.add_task(f"all {len(files)} files", total=sum(sizes.values()))

        def on_progress(path: Path, done: int, size: int) -> None:
            if path not in bars:
                bars[path] = progress.add_task(f"  {path.name}", total=size)
            # a re-sent batch starts its files over: the overall bar follows the difference
            progress.advance(overall, done - sent.get(path, 0))
            sent[path] = done
            progress.update(bars[path], completed=done)
            if done >= size and not keep_bars:
                progress.update(bars[path], visible=False)

        return client.upload_files(
            dataset,
            files,
            max_files=batch_files,
            max_file_bytes=max_file_bytes,
            on_progress=on_progress,
        )


def _watch_many(client: FltrClient, job_ids: Sequence[str], out: Console) -> list[Job]:
    finished: list[Job] = []
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        console=out,
    ) as progress:
        overall = progress.add_task("jobs finished", total=len(job_ids))
        for job_id in job_ids:
            bar = progress.add_task(f"  {job_id}", total=None)

            def show(job: Job, bar: TaskID = bar) -> None:
                progress.update(
                    bar,
                    description=f"  {job.id} {job.stage}",
                    completed=job.done,
                    total=job.total or None,
                )

            job = client.watch_job(job_id, show)
            progress.update(bar, visible=False)
            progress.advance(overall)
            finished.append(job)
    return finished


def _report_jobs(jobs: Sequence[Job], out: Console) -> bool:
    """Print how the jobs ended; True when all succeeded."""
    for job in jobs:
        if job.state != "succeeded":
            reason = f" ({job.error_code}: {job.error_message})" if job.error_code else ""
            out.print(f"job {job.id} {job.state}{reason}")
    states = Counter(job.state for job in jobs)
    out.print("Jobs: " + ", ".join(f"{count} {state}" for state, count in sorted(states.items())))
    return all(job.state == "succeeded" for job in jobs)


@app.command()
def upload(
    paths: Annotated[
        list[Path], typer.Argument(help="Files and folders to upload.", show_default=False)
    ],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="The dataset's slug.")],
    recursive: Annotated[
        bool, typer.Option("--recursive/--no-recursive", help="Descend into sub-folders.")
    ] = True,
    wait: Annotated[bool, typer.Option("--wait", help="Then watch the processing jobs.")] = False,
    batch_files: Annotated[
        int, typer.Option(min=1, help="Files per request (the service's limit is 500).")
    ] = MAX_FILES_PER_REQUEST,
    max_file_mb: Annotated[
        float, typer.Option(min=0.001, help="Refuse larger files locally (service: 50 MB).")
    ] = MAX_FILE_BYTES / (1024 * 1024),
) -> None:
    """Upload files and folders to a dataset (resumable).

    Files whose SHA-256 matches a document the dataset already holds are skipped, so running
    it again after an interruption sends only what is missing.
    """
    out = _out()
    files = collect_files(paths, recursive=recursive)
    if not files:
        _fail("no files to upload")
    with _client() as client:
        hashes = _hash_all(files, out)
        known = {doc.content_hash: doc for doc in client.list_documents(dataset)}
        skipped = [path for path in files if hashes[path] in known]
        first_of: dict[str, Path] = {}
        same_as: list[Path] = []
        todo: list[Path] = []
        for path in files:
            if hashes[path] in known:
                continue
            if hashes[path] in first_of:
                same_as.append(path)  # the same bytes twice here: the service keeps one
                continue
            first_of[hashes[path]] = path
            todo.append(path)
        report = UploadReport()
        if todo:
            report = _send_with_progress(
                client,
                dataset,
                todo,
                out,
                batch_files=batch_files,
                max_file_bytes=int(max_file_mb * 1024 * 1024),
            )
        if skipped:
            statuses = Counter(known[hashes[path]].status for path in skipped)
            detail = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
            out.print(f"Skipped {len(skipped)} already uploaded ({detail}): {_names(skipped)}")
        if same_as:
            out.print(f"Skipped {len(same_as)} with the same content as another file here")
        if report.duplicates:
            names = [d.path or Path(d.filename) for d in report.duplicates]
            out.print(f"{len(names)} already in the dataset (not charged): {_names(names)}")
        out.print(
            f"Uploaded {len(report.uploaded)} of {len(files)} files to {dataset} "
            f"in {report.requests} requests; {len(report.job_ids)} jobs queued"
        )
        for failure in report.failed:
            out.print(
                Text.assemble(
                    ("failed", "red"), f" {failure.path}: {failure.code}: {failure.detail}"
                )
            )
        ok = not report.failed
        if wait and report.job_ids:
            ok = _report_jobs(_watch_many(client, report.job_ids, out), out) and ok
    if not ok:
        raise typer.Exit(1)


# -- jobs -------------------------------------------------------------------------------------


@jobs_app.command("watch")
def jobs_watch(
    job_id: Annotated[str | None, typer.Argument(help="A job's id.")] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="Every unfinished job of a dataset.")
    ] = None,
) -> None:
    """Follow a job, or a dataset's unfinished jobs, until they end.

    Exits with 1 unless all of them succeeded.
    """
    if (job_id is None) == (dataset is None):
        _err().print("Give a JOB_ID or --dataset SLUG (one of them).")
        raise typer.Exit(2)
    out = _out()
    with _client() as client:
        if job_id is not None:
            ids = [job_id]
        else:
            assert dataset is not None
            ids = [job.id for state in UNFINISHED for job in client.list_jobs(dataset, state=state)]
            if not ids:
                out.print(f"No unfinished jobs in {dataset}.")
                return
        jobs = _watch_many(client, ids, out)
        for job in jobs:
            out.print(f"{job.id} {job.state}")
        ok = _report_jobs(jobs, out)
    if not ok:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
