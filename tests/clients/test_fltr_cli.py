"""The curator CLI (``fltr``) and its SDK against the real services over real HTTP: the
content app with its own committed database and job workers, and the auth app it uses.

The CLI is synchronous and the servers run on the test's event loop, so every CLI run and SDK
call goes through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from fltr import cli, config
from fltr.client import FltrClient, FltrError
from tests.auth.helpers import PASSWORD
from tests.content import documents as docs
from tests.content.ingest_support import Curator, funded_curator
from tests.support import serve_in_loop

# one sentence each: the embedder does ~20 chunks/s, and every file here is one chunk
NOTES = {
    "terns.txt": b"Arctic terns migrate from pole to pole every year.\n",
    "guides/tomatoes.md": b"# Tomatoes\n\nTomatoes need full sun and regular watering.\n",
    "guides/deep/chess.txt": b"The knight moves in an L shape on the chess board.\n",
    "guides/deep/people.csv": b"name,city\nAlice,Paris\nBob,Berlin\n",
    "solar.txt": b"Solar panels turn sunlight into electricity.\n",
    "coffee [draft].txt": b"Pour over coffee takes about three minutes to brew.\n",
}


@pytest.fixture(scope="module")
async def content_url(ingest_app: FastAPI) -> AsyncIterator[str]:
    async with serve_in_loop(ingest_app) as url:
        yield url


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME for the CLI's config file (monkeypatched too, for the SDK helpers)."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path / ".config"))
    for name in ("FLTR_API_URL", "FLTR_AUTH_URL", "FLTR_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return path


class RecordingTransport(httpx.HTTPTransport):
    """Real HTTP that remembers the paths requested; ``cut`` paths fail as a dropped
    connection would (a proxy that breaks server-sent events)."""

    def __init__(self, cut: str | None = None) -> None:
        super().__init__()
        self.cut = cut
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if self.cut and request.url.path.endswith(self.cut):
            raise httpx.ReadError("connection dropped", request=request)
        return super().handle_request(request)


class Fltr:
    """Runs ``fltr ...`` in a worker thread with this test's HOME and service URLs."""

    def __init__(self, home: Path, api_url: str, auth_url: str) -> None:
        self.home = home
        self.api_url = api_url
        self.auth_url = auth_url
        self.runner = CliRunner()

    async def __call__(
        self, *args: str, input: str | None = None, expect: int = 0, **extra_env: str
    ) -> Result:
        env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "FLTR_API_URL": self.api_url,
            "FLTR_AUTH_URL": self.auth_url,
            "COLUMNS": "200",
            **extra_env,
        }
        result = await asyncio.to_thread(
            self.runner.invoke, cli.app, list(args), input=input, env=env
        )
        assert result.exit_code == expect, (result.output, result.exception)
        return result

    def sdk(self, transport: httpx.BaseTransport | None = None) -> FltrClient:
        saved = config.load_saved()
        assert saved.token
        return FltrClient(self.api_url, self.auth_url, saved.token, transport=transport)


@pytest.fixture
async def fltr(home: Path, content_url: str, ingest_auth_url: str) -> Fltr:
    return Fltr(home, content_url, ingest_auth_url)


@pytest.fixture
async def curator(committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient) -> Curator:
    return await funded_curator(committed_auth, ingest_client, name="Field Notes")


async def logged_in(fltr: Fltr, curator: Curator) -> None:
    await fltr("login", "--email", curator.account.email, input=PASSWORD + "\n")


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


async def test_login_saves_a_working_token_readable_by_its_owner_only(
    fltr: Fltr, curator: Curator
) -> None:
    result = await fltr("login", "--email", curator.account.email, input=PASSWORD + "\n")
    assert f"Logged in as {curator.account.email} (session)" in result.stdout
    assert PASSWORD not in result.output

    path = fltr.home / ".config" / "fltr" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["api_url"] == fltr.api_url
    assert saved["auth_url"] == fltr.auth_url
    with fltr.sdk() as client:
        me = await asyncio.to_thread(client.me)
    assert me["user_id"] == curator.account.user["id"]

    await fltr("logout")
    assert json.loads(path.read_text())["token"] is None
    refused = await fltr("datasets", "list", expect=1)
    assert "not logged in" in refused.output


async def test_login_refuses_a_wrong_password_and_saves_nothing(
    fltr: Fltr, curator: Curator
) -> None:
    result = await fltr("login", "--email", curator.account.email, input="wrong\n", expect=1)
    assert "error:" in result.output
    assert not (fltr.home / ".config" / "fltr" / "config.json").exists()


async def test_login_with_an_api_key_from_stdin(
    fltr: Fltr, curator: Curator, committed_auth: httpx.AsyncClient
) -> None:
    response = await committed_auth.post(
        "/api/v1/api-keys", json={"name": "cli"}, headers=curator.headers
    )
    assert response.status_code == 201, response.text
    key = response.json()["key"]
    result = await fltr("login", "--api-key", "-", input=key + "\n")
    assert "(api_key)" in result.stdout
    assert config.load_saved().token == key

    listed = await fltr("datasets", "list", "--mine", "--json")
    slugs = [json.loads(line)["slug"] for line in listed.stdout.splitlines() if line.strip()]
    assert slugs == [curator.slug]


async def test_a_token_in_the_environment_needs_no_login(fltr: Fltr, curator: Curator) -> None:
    token = curator.headers["Authorization"].removeprefix("Bearer ")
    listed = await fltr("datasets", "list", "--mine", "--json", FLTR_TOKEN=token)
    assert [json.loads(line)["slug"] for line in listed.stdout.splitlines()] == [curator.slug]
    assert not (fltr.home / ".config" / "fltr" / "config.json").exists()
    refused = await fltr("datasets", "list", "--mine", FLTR_TOKEN="fltr_" + "x" * 43, expect=1)
    assert "run `fltr login` again" in refused.output


async def test_datasets_create_and_list(fltr: Fltr, curator: Curator) -> None:
    await logged_in(fltr, curator)
    created = await fltr(
        "datasets", "create", "Bird Songs", "--description", "Recordings", "--visibility", "private"
    )
    assert "Created dataset bird-songs" in created.stdout
    assert "private" in created.stdout

    mine = await fltr("datasets", "list", "--mine")
    assert "bird-songs" in mine.stdout
    assert curator.slug in mine.stdout
    as_json = await fltr("datasets", "list", "--mine", "--json")
    rows = [json.loads(line) for line in as_json.stdout.splitlines() if line.strip()]
    assert {row["slug"] for row in rows} == {"bird-songs", curator.slug}

    taken = await fltr("datasets", "create", "Again", "--slug", "bird-songs", expect=1)
    assert "error:" in taken.output
    bad = await fltr("datasets", "create", "Odd", "--visibility", "secret", expect=1)
    assert "validation_error" in bad.output


async def test_upload_a_nested_folder_then_again_skips_everything(
    fltr: Fltr, curator: Curator, tmp_path: Path
) -> None:
    await logged_in(fltr, curator)
    folder = write_tree(tmp_path / "notes", NOTES)
    (folder / ".DS_Store").write_bytes(b"\x00\x01 finder junk")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")

    # the service takes 5 files a request here (ingest_settings): 6 files need 2 requests
    first = await fltr("upload", str(folder), "--dataset", curator.slug, "--wait")
    assert f"Uploaded 6 of 6 files to {curator.slug} in 3 requests; 6 jobs queued" in (
        first.stdout
    ), first.stdout
    assert "Jobs: 6 succeeded" in first.stdout
    with fltr.sdk() as client:
        documents = await asyncio.to_thread(client.list_documents, curator.slug)
    assert sorted(d.filename for d in documents) == sorted(Path(n).name for n in NOTES)
    assert {d.status for d in documents} == {"ready"}

    again = await fltr("upload", str(folder), "--dataset", curator.slug)
    assert "Skipped 6 already uploaded (6 ready)" in again.stdout
    assert "Uploaded 0 of 6 files" in again.stdout

    # an interrupted upload resumes: only the new file goes
    (folder / "guides" / "late.txt").write_bytes(b"Late notes about the autumn harvest.\n")
    (folder / "copy-of-solar.txt").write_bytes(NOTES["solar.txt"])
    resumed = await fltr("upload", str(folder), "--dataset", curator.slug, "--no-recursive")
    assert "Skipped 4 already uploaded" in resumed.stdout  # top level only: 3 old + the copy
    assert "Uploaded 0 of 4 files" in resumed.stdout
    resumed = await fltr("upload", str(folder), "--dataset", curator.slug)
    assert "Skipped 7 already uploaded" in resumed.stdout
    assert "Uploaded 1 of 8 files" in resumed.stdout
    assert "1 jobs queued" in resumed.stdout

    watched = await fltr("jobs", "watch", "--dataset", curator.slug)
    if "No unfinished jobs" not in watched.stdout:
        assert "Jobs: 1 succeeded" in watched.stdout
    with fltr.sdk() as client:
        jobs = await asyncio.to_thread(client.list_jobs, curator.slug)
    assert len(jobs) == 7
    assert {job.state for job in jobs} == {"succeeded"}


async def test_jobs_watch_follows_one_job_to_its_end(
    fltr: Fltr, curator: Curator, tmp_path: Path
) -> None:
    await logged_in(fltr, curator)
    note = tmp_path / "note.txt"
    note.write_bytes(docs.PLAIN_TEXT)
    await fltr("upload", str(note), "-d", curator.slug)
    with fltr.sdk() as client:
        (job,) = await asyncio.to_thread(client.list_jobs, curator.slug)

    watched = await fltr("jobs", "watch", job.id)
    assert f"{job.id} succeeded" in watched.stdout
    assert "Jobs: 1 succeeded" in watched.stdout
    done = await fltr("jobs", "watch", "--dataset", curator.slug)
    assert "No unfinished jobs" in done.stdout

    missing = await fltr("jobs", "watch", "job_nope", expect=1)
    assert "error:" in missing.output
    await fltr("jobs", "watch", expect=2)


async def test_upload_reports_a_refused_file_and_sends_the_rest(
    fltr: Fltr, curator: Curator, tmp_path: Path
) -> None:
    await logged_in(fltr, curator)
    folder = write_tree(
        tmp_path / "mixed",
        {
            "ok.txt": b"Bees dance to tell each other where flowers are.\n",
            "tool.bin": docs.ELF_HEADER,
            "big.txt": b"x" * (3 * 1024 * 1024),  # over the 2 MB limit of ingest_settings
            "empty.txt": b"",
        },
    )
    result = await fltr("upload", str(folder), "-d", curator.slug, "--wait", expect=1)
    assert "Uploaded 1 of 4 files" in result.stdout, result.stdout
    assert "Jobs: 1 succeeded" in result.stdout
    failed = {
        Path(line.split()[1].rstrip(":")).name: line
        for line in result.stdout.splitlines()
        if line.startswith("failed ")
    }
    assert set(failed) == {"tool.bin", "big.txt", "empty.txt"}, result.stdout
    assert "file_too_large" in failed["big.txt"]

    # and locally, before sending a byte, with the service's limit given
    local = await fltr(
        "upload", str(folder / "big.txt"), "-d", curator.slug, "--max-file-mb", "2", expect=1
    )
    assert "Uploaded 0 of 1 files" in local.stdout
    assert "in 0 requests" in local.stdout


async def test_sdk_upload_batches_reports_progress_and_watches(
    fltr: Fltr, curator: Curator, tmp_path: Path
) -> None:
    await logged_in(fltr, curator)
    folder = write_tree(
        tmp_path / "sdk", {"a.txt": NOTES["terns.txt"], "b.txt": NOTES["solar.txt"]}
    )
    paths = sorted(folder.iterdir())
    seen: dict[Path, int] = {}

    def on_progress(path: Path, sent: int, size: int) -> None:
        assert sent <= size
        seen[path] = sent

    streamed = RecordingTransport()
    broken = RecordingTransport(cut="/events")

    def run() -> tuple[Any, ...]:
        with fltr.sdk(streamed) as client, fltr.sdk(broken) as polling:
            report = client.upload_files(curator.slug, paths, max_files=1, on_progress=on_progress)
            first, second = report.job_ids
            updates: list[str] = []
            finished = [
                client.watch_job(first, lambda job: updates.append(job.state)),
                polling.watch_job(second, poll_seconds=0.2),
            ]
            again = client.upload_files(curator.slug, paths)
            return report, finished, updates, again

    report, finished, updates, again = await asyncio.to_thread(run)
    assert report.requests == 2
    assert {d.path for d in report.uploaded} == set(paths)
    assert seen == {path: path.stat().st_size for path in paths}
    assert [job.state for job in finished] == ["succeeded", "succeeded"]
    assert updates[-1] == "succeeded"
    # the first job was followed over server-sent events alone, the second by polling
    assert f"/api/v1/jobs/{finished[0].id}/events" in streamed.paths
    assert f"/api/v1/jobs/{finished[0].id}" not in streamed.paths
    assert broken.paths.count(f"/api/v1/jobs/{finished[1].id}") >= 1
    # the service itself recognizes bytes it already holds: nothing new, nothing charged
    assert [d.duplicate for d in again.duplicates] == [True, True]
    assert again.uploaded == []

    def refused() -> FltrError:
        with FltrClient(fltr.api_url, fltr.auth_url, "not-a-token") as client:
            with pytest.raises(FltrError) as caught:
                client.create_dataset("Nope")
            return caught.value

    error = await asyncio.to_thread(refused)
    assert error.status_code == 401
