"""A small typed SDK over FLTR's public HTTP API (the content and auth services).

Synchronous on purpose: the CLI is its first user, and a script that uploads a folder has
nothing else to do meanwhile. Every method raises :class:`FltrError` for an answer of 400 or
more (FLTR's ``{"error", "detail"}`` body) and ``httpx.TransportError`` when a service cannot
be reached.
"""

from __future__ import annotations

import io
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PAGE_SIZE = 100  # the services' largest page
MAX_FILE_BYTES = 50 * 1024 * 1024  # the content service's default MAX_UPLOAD_FILE_BYTES
MAX_FILES_PER_REQUEST = 500  # its default MAX_UPLOAD_FILES
MAX_BATCH_BYTES = 200 * 1024 * 1024  # a failed request re-sends at most this much
FINISHED_STATES = frozenset({"succeeded", "failed", "cancelled"})
# an upload refused because of one of its files names it (body "filename") or says which limit
PER_FILE_CODES = frozenset({"file_too_large", "upload_too_large", "too_many_files"})

ProgressCallback = Callable[[Path, int, int], None]
"""Called as bytes of a file are sent: (path, bytes sent so far, file size)."""

JobCallback = Callable[["Job"], None]


class FltrError(Exception):
    """An error answer from a FLTR service."""

    def __init__(
        self, status_code: int, code: str, detail: str, body: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status_code} {code}: {detail}")
        self.status_code = status_code
        self.code = code
        self.detail = detail
        self.body = body or {}

    @classmethod
    def of(cls, response: httpx.Response) -> FltrError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            code = str(body.get("error") or f"http_{response.status_code}")
            detail = body.get("detail")
            if not isinstance(detail, str):
                detail = json.dumps(detail) if detail is not None else response.reason_phrase
            return cls(response.status_code, code, detail, body)
        text = response.text.strip()[:200] or response.reason_phrase
        return cls(response.status_code, f"http_{response.status_code}", text)


@dataclass(frozen=True)
class Dataset:
    id: str
    slug: str
    name: str
    visibility: str
    status: str
    document_count: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Dataset:
        return cls(
            id=str(body["id"]),
            slug=str(body["slug"]),
            name=str(body.get("name", "")),
            visibility=str(body.get("visibility", "")),
            status=str(body.get("status", "")),
            document_count=int(body.get("document_count") or 0),
            raw=body,
        )


@dataclass(frozen=True)
class DatasetPage:
    items: list[Dataset]
    next_cursor: str | None


@dataclass(frozen=True)
class Document:
    id: str
    filename: str
    content_hash: str
    status: str
    size_bytes: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Document:
        return cls(
            id=str(body["id"]),
            filename=str(body.get("filename", "")),
            content_hash=str(body.get("content_hash", "")),
            status=str(body.get("status", "")),
            size_bytes=int(body.get("size_bytes") or 0),
            raw=body,
        )


@dataclass(frozen=True)
class UploadedDocument:
    """One file of an upload as the service answered it; ``path`` is the local file."""

    id: str
    job_id: str | None
    filename: str
    content_type: str
    size_bytes: int
    status: str
    duplicate: bool
    path: Path | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any], path: Path | None = None) -> UploadedDocument:
        return cls(
            id=str(body["id"]),
            job_id=str(body["job_id"]) if body.get("job_id") else None,
            filename=str(body.get("filename", "")),
            content_type=str(body.get("content_type", "")),
            size_bytes=int(body.get("size_bytes") or 0),
            status=str(body.get("status", "")),
            duplicate=bool(body.get("duplicate")),
            path=path,
        )


@dataclass(frozen=True)
class FailedFile:
    path: Path
    code: str
    detail: str


@dataclass
class UploadReport:
    """What became of each file handed to :meth:`FltrClient.upload_files`."""

    uploaded: list[UploadedDocument] = field(default_factory=list)
    duplicates: list[UploadedDocument] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    requests: int = 0

    @property
    def job_ids(self) -> list[str]:
        return [d.job_id for d in self.uploaded if d.job_id]


@dataclass(frozen=True)
class Job:
    id: str
    state: str
    stage: str
    done: int
    total: int
    document_id: str | None
    error_code: str | None
    error_message: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Job:
        progress = body.get("progress") or {}
        error = body.get("error") or {}
        return cls(
            id=str(body["id"]),
            state=str(body.get("state", "")),
            stage=str(body.get("stage", "")),
            done=int(progress.get("done") or 0),
            total=int(progress.get("total") or 0),
            document_id=str(body["document_id"]) if body.get("document_id") else None,
            error_code=str(error["code"]) if error.get("code") else None,
            error_message=str(error["message"]) if error.get("message") else None,
            raw=body,
        )


class _ReportingFile(io.FileIO):
    """A file that tells how much of it has been read: httpx streams multipart file fields
    by reading them in chunks (and seeks to 0 first, so a re-sent batch starts over)."""

    def __init__(self, path: Path, on_read: Callable[[int], None]) -> None:
        super().__init__(path, "rb")
        self._on_read = on_read

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self._on_read(self.tell())
        return chunk or b""


def _batches(
    paths: Sequence[Path], sizes: dict[Path, int], max_files: int, max_bytes: int
) -> Iterator[list[Path]]:
    batch: list[Path] = []
    weight = 0
    for path in paths:
        if batch and (len(batch) >= max_files or weight + sizes[path] > max_bytes):
            yield batch
            batch, weight = [], 0
        batch.append(path)
        weight += sizes[path]
    if batch:
        yield batch


class FltrClient:
    """The public API of FLTR. ``token`` is a session bearer token (see :meth:`sign_in`) or an
    API key (``fltr_...``); both go in ``Authorization: Bearer``."""

    def __init__(
        self,
        api_url: str,
        auth_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.auth_url = (auth_url or api_url).rstrip("/")
        self.token = token
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=transport,
            headers={"User-Agent": "fltr-python/0.1.0"},
        )

    def __enter__(self) -> FltrClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        response = self._http.request(method, url, headers=headers, **kwargs)
        # the bearer token is the one credential: a session cookie must not stand in for it
        self._http.cookies.clear()
        if response.status_code >= 400:
            raise FltrError.of(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = self._request(method, f"{self.api_url}{path}", **kwargs).json()
        if not isinstance(body, dict):
            raise FltrError(502, "unexpected_body", f"{path} answered {type(body).__name__}")
        return body

    # -- accounts ---------------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> str:
        """Sign in with email and password; keeps and returns the bearer token."""
        response = self._request(
            "POST",
            f"{self.auth_url}/api/auth/sign-in/email",
            json={"email": email, "password": password},
        )
        token: str | None = response.headers.get("set-auth-token")
        if not token:
            raise FltrError(
                response.status_code, "no_token", "The auth service sent no set-auth-token."
            )
        self.token = token
        return token

    def me(self) -> dict[str, Any]:
        """Who the content service takes the current credential to be."""
        return self._json("GET", "/api/v1/me")

    # -- datasets ---------------------------------------------------------------------------

    def create_dataset(
        self,
        name: str,
        *,
        slug: str | None = None,
        description: str | None = None,
        category: str | None = None,
        visibility: str | None = None,
        **extra: Any,
    ) -> Dataset:
        fields = {
            "slug": slug,
            "description": description,
            "category": category,
            "visibility": visibility,
        }
        body = {"name": name, **{k: v for k, v in fields.items() if v is not None}, **extra}
        return Dataset.from_json(self._json("POST", "/api/v1/datasets", json=body))

    def get_dataset(self, ref: str) -> Dataset:
        return Dataset.from_json(self._json("GET", f"/api/v1/datasets/{ref}"))

    def list_datasets(
        self, *, limit: int = 20, cursor: str | None = None, **filters: str | bool | None
    ) -> DatasetPage:
        """One page of the listing; ``filters``: owner, q, category, visibility, tag, sort."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        for key, value in filters.items():
            if value is not None:
                params[key] = str(value).lower() if isinstance(value, bool) else value
        body = self._json("GET", "/api/v1/datasets", params=params)
        return DatasetPage(
            items=[Dataset.from_json(item) for item in body.get("items", [])],
            next_cursor=body.get("next_cursor"),
        )

    def iter_datasets(self, **filters: str | bool | None) -> Iterator[Dataset]:
        """Every dataset of the listing, following ``next_cursor``."""
        cursor: str | None = None
        while True:
            page = self.list_datasets(limit=PAGE_SIZE, cursor=cursor, **filters)
            yield from page.items
            if not page.next_cursor or not page.items:
                return
            cursor = page.next_cursor

    # -- documents --------------------------------------------------------------------------

    def list_documents(self, ref: str, *, status: str | None = None) -> list[Document]:
        """All of a dataset's documents (every page)."""
        documents: list[Document] = []
        offset = 0
        while True:
            params: dict[str, str | int] = {"limit": PAGE_SIZE, "offset": offset}
            if status:
                params["status"] = status
            body = self._json("GET", f"/api/v1/datasets/{ref}/documents", params=params)
            items = body.get("items", [])
            documents.extend(Document.from_json(item) for item in items)
            offset += len(items)
            if not items or offset >= int(body.get("total", 0)):
                return documents

    def upload_files(
        self,
        ref: str,
        paths: Iterable[Path],
        *,
        max_files: int = MAX_FILES_PER_REQUEST,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        on_progress: ProgressCallback | None = None,
    ) -> UploadReport:
        """Upload files to a dataset, streamed from disk, in as few requests as the limits
        allow. A file the service refuses (too large, unreadable, an executable) is reported
        in ``failed`` and the rest of its batch is sent again without it; a batch with more
        files than the service takes is split. Any other error (no credits, no access) is
        raised."""
        report = UploadReport()
        sizes: dict[Path, int] = {}
        ready: list[Path] = []
        for path in paths:
            size = path.stat().st_size
            if size > max_file_bytes:
                report.failed.append(
                    FailedFile(path, "file_too_large", f"larger than {max_file_bytes} bytes")
                )
                continue
            sizes[path] = size
            ready.append(path)
        for batch in _batches(ready, sizes, max(1, max_files), max_batch_bytes):
            self._send(ref, batch, sizes, report, on_progress)
        return report

    def _send(
        self,
        ref: str,
        batch: list[Path],
        sizes: dict[Path, int],
        report: UploadReport,
        on_progress: ProgressCallback | None,
    ) -> None:
        try:
            answers = self._post_files(ref, batch, sizes, report, on_progress)
        except FltrError as exc:
            named = exc.body.get("filename")
            per_file = named is not None or exc.code in PER_FILE_CODES
            if not per_file or exc.status_code not in (413, 415, 422):
                raise
            if len(batch) == 1:
                report.failed.append(FailedFile(batch[0], exc.code, exc.detail))
                return
            culprits = [p for p in batch if p.name == named] if named else []
            if len(culprits) == 1 and exc.code != "too_many_files":
                report.failed.append(FailedFile(culprits[0], exc.code, exc.detail))
                rest = [p for p in batch if p != culprits[0]]
                self._send(ref, rest, sizes, report, on_progress)
                return
            half = len(batch) // 2
            self._send(ref, batch[:half], sizes, report, on_progress)
            self._send(ref, batch[half:], sizes, report, on_progress)
            return
        for answer in answers:
            (report.duplicates if answer.duplicate else report.uploaded).append(answer)

    def _post_files(
        self,
        ref: str,
        batch: list[Path],
        sizes: dict[Path, int],
        report: UploadReport,
        on_progress: ProgressCallback | None,
    ) -> list[UploadedDocument]:
        def reporter(path: Path) -> Callable[[int], None]:
            size = sizes[path]
            return lambda sent: on_progress(path, sent, size) if on_progress else None

        handles = [_ReportingFile(path, reporter(path)) for path in batch]
        try:
            report.requests += 1
            body = self._json(
                "POST",
                f"/api/v1/datasets/{ref}/documents",
                files=[
                    ("files", (path.name, handle, "application/octet-stream"))
                    for path, handle in zip(batch, handles, strict=True)
                ],
            )
        finally:
            for handle in handles:
                handle.close()
        # the answer lists duplicates first, so match each back to its file by name and size
        waiting: dict[tuple[str, int], deque[Path]] = defaultdict(deque)
        for path in batch:
            waiting[(path.name, sizes[path])].append(path)
        answers: list[UploadedDocument] = []
        for item in body.get("documents", []):
            queue = waiting.get((str(item.get("filename")), int(item.get("size_bytes") or 0)))
            answers.append(UploadedDocument.from_json(item, queue.popleft() if queue else None))
        return answers

    # -- jobs -------------------------------------------------------------------------------

    def get_job(self, job_id: str) -> Job:
        return Job.from_json(self._json("GET", f"/api/v1/jobs/{job_id}"))

    def list_jobs(self, ref: str, *, state: str | None = None) -> list[Job]:
        """All of a dataset's jobs (every page), optionally in one state."""
        jobs: list[Job] = []
        offset = 0
        while True:
            params: dict[str, str | int] = {"limit": PAGE_SIZE, "offset": offset}
            if state:
                params["state"] = state
            body = self._json("GET", f"/api/v1/datasets/{ref}/jobs", params=params)
            items = body.get("items", [])
            jobs.extend(Job.from_json(item) for item in items)
            offset += len(items)
            if not items or offset >= int(body.get("total", 0)):
                return jobs

    def watch_job(
        self,
        job_id: str,
        on_update: JobCallback | None = None,
        *,
        poll_seconds: float = 1.0,
        timeout: float | None = None,
    ) -> Job:
        """Follow a job until it finishes and return its last state. Uses the server-sent
        events stream; when that breaks (a proxy that buffers, a dropped connection) it
        falls back to polling ``GET /jobs/{id}``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last: Job | None = None
        try:
            for job in self._job_events(job_id):
                last = job
                if on_update:
                    on_update(job)
                if job.finished:
                    return job
        except httpx.TransportError:
            pass  # polled below
        while True:
            job = self.get_job(job_id)
            if on_update and (last is None or job.raw != last.raw):
                on_update(job)
            last = job
            if job.finished:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job.state}")
            time.sleep(poll_seconds)

    def _job_events(self, job_id: str) -> Iterator[Job]:
        url = f"{self.api_url}/api/v1/jobs/{job_id}/events"
        headers = {**self._headers(), "Accept": "text/event-stream"}
        # the server pings every 15 s, so a minute of silence means the stream is gone
        timeout = httpx.Timeout(60.0, connect=10.0)
        with self._http.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise FltrError.of(response)
            event, data = "message", list[str]()
            for line in response.iter_lines():
                if line == "":
                    if event == "progress" and data:
                        yield Job.from_json(json.loads("\n".join(data)))
                    elif event == "end":
                        return
                    event, data = "message", []
                elif line.startswith(":"):
                    continue  # a keep-alive comment
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        event = value
                    elif name == "data":
                        data.append(value)
