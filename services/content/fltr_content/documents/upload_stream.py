"""Read a multipart upload as it arrives, writing each file to a temporary file and stopping
with 413 the moment a limit is passed: a 5 GB body is refused after 50 MB, not after 5 GB.

Starlette's own form parsing spools every part before the endpoint runs, which is why the
upload endpoint reads ``request.stream()`` itself, through python-multipart's push parser.
Each file is hashed (sha256) while it streams, so duplicate detection costs no second read.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from fltr_shared.errors import BadRequest, PayloadTooLarge

FILE_FIELD = "files"
MAX_FILENAME_LENGTH = 200
MAX_FIELD_BYTES = 64 * 1024  # non-file fields (none are used today) stay small


def sanitize_filename(raw: str) -> str:
    """A display name safe anywhere: the last path component only, no control characters,
    no leading dots, at most 200 characters. It is never used to build a path."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_FILENAME_LENGTH - len(ext) - 1] + dot + ext) if dot else name
        name = name[:MAX_FILENAME_LENGTH]
    return name or "upload"


@dataclass
class ReceivedFile:
    filename: str  # sanitized
    path: Path
    size: int
    sha256: str
    head: bytes  # the first bytes, for type detection


@dataclass
class _Part:
    name: str | None = None
    filename: str | None = None
    file: IO[bytes] | None = None
    path: Path | None = None
    size: int = 0
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    head: bytearray = field(default_factory=bytearray)


class UploadReader:
    """Parse ``multipart/form-data`` from a byte stream into files under ``workdir``."""

    def __init__(self, workdir: Path, *, max_file_bytes: int, max_files: int) -> None:
        self.workdir = workdir
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.files: list[ReceivedFile] = []
        self._part: _Part | None = None
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._error: Exception | None = None

    async def read(self, content_type: str, stream: AsyncIterator[bytes]) -> list[ReceivedFile]:
        mime, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if mime != b"multipart/form-data" or not boundary:
            raise BadRequest(
                "Send the files as multipart/form-data (field 'files').", code="invalid_upload"
            )
        parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )
        try:
            async for chunk in stream:
                parser.write(chunk)
                if self._error is not None:
                    raise self._error
            parser.finalize()
        except MultipartParseError as exc:
            raise BadRequest(
                f"The multipart body is malformed: {exc}", code="invalid_upload"
            ) from exc
        finally:
            if self._part is not None and self._part.file is not None:
                self._part.file.close()
        if self._error is not None:
            raise self._error
        if not self.files:
            raise BadRequest("No files were sent (field 'files').", code="no_files")
        return self.files

    # python-multipart callbacks: they cannot raise through the parser cleanly, so an error is
    # parked and the byte stream stops at the next chunk.

    def _on_part_begin(self) -> None:
        self._part = _Part()
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        assert self._part is not None
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        filename = options.get(b"filename")
        self._part.name = name.decode("utf-8", "replace") if name else None
        if filename is not None and self._part.name == FILE_FIELD:
            if len(self.files) >= self.max_files:
                self._error = PayloadTooLarge(
                    f"At most {self.max_files} files per upload.", code="too_many_files"
                )
                return
            self._part.filename = sanitize_filename(filename.decode("utf-8", "replace"))
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in _on_part_end
                dir=self.workdir, prefix="upload-", delete=False
            )
            self._part.file = handle
            self._part.path = Path(handle.name)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part is None or self._error is not None:
            return
        piece = data[start:end]
        part.size += len(piece)
        if part.file is None:
            if part.size > MAX_FIELD_BYTES:
                self._error = PayloadTooLarge("A form field is too large.", code="field_too_large")
            return
        if part.size > self.max_file_bytes:
            self._error = PayloadTooLarge(
                f"{part.filename!r} is larger than the limit of {self.max_file_bytes} bytes.",
                code="file_too_large",
            )
            return
        if len(part.head) < 8192:
            part.head += piece[: 8192 - len(part.head)]
        part.digest.update(piece)
        part.file.write(piece)

    def _on_part_end(self) -> None:
        part, self._part = self._part, None
        if part is None or part.file is None or part.path is None:
            return
        part.file.close()
        if self._error is None:
            self.files.append(
                ReceivedFile(
                    filename=part.filename or "upload",
                    path=part.path,
                    size=part.size,
                    sha256=part.digest.hexdigest(),
                    head=bytes(part.head),
                )
            )
