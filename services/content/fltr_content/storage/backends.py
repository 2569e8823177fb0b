"""Where originals are kept: a folder (the embedded default, ``VAR_DIR/files``) or an
S3-compatible bucket (``S3_BUCKET`` set), behind one small interface.

Keys are built by FLTR from ids (``datasets/<id>/documents/<id>``), never from file names;
the local backend still refuses any key that would resolve outside its root.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any, Protocol

from pydantic import SecretStr

CHUNK = 1024 * 1024


class StorageError(Exception):
    """The backend failed (an outage, not a bad key)."""


class Storage(Protocol):
    name: str

    async def put_file(self, key: str, path: Path) -> None: ...

    async def get_bytes(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def aclose(self) -> None: ...


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"storage key {key!r} leaves the storage root")
        return path

    async def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)

        def copy() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            shutil.copyfile(path, partial)
            partial.replace(target)  # readers never see half a file

        await asyncio.to_thread(copy)

    async def get_bytes(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def aclose(self) -> None:
        return None


class S3Storage:
    """An S3-compatible bucket through aioboto3 (AWS, MinIO, R2, moto in the tests)."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str | None,
        access_key_id: str | None,
        secret_access_key: SecretStr | None,
        prefix: str = "",
    ) -> None:
        import aioboto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key.get_secret_value()
            if secret_access_key
            else None,
            region_name=region,
        )
        self._endpoint_url = endpoint_url

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _client(self) -> Any:
        return self._session.client("s3", endpoint_url=self._endpoint_url)

    async def put_file(self, key: str, path: Path) -> None:
        try:
            async with self._client() as s3:
                await s3.upload_file(str(path), self.bucket, self._key(key))
        except Exception as exc:
            raise StorageError(f"S3 upload failed: {exc}") from exc

    async def get_bytes(self, key: str) -> bytes:
        try:
            async with self._client() as s3:
                response = await s3.get_object(Bucket=self.bucket, Key=self._key(key))
                async with response["Body"] as body:
                    data: bytes = await body.read()
                    return data
        except Exception as exc:
            raise StorageError(f"S3 download failed: {exc}") from exc

    async def delete(self, key: str) -> None:
        try:
            async with self._client() as s3:
                await s3.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise StorageError(f"S3 delete failed: {exc}") from exc

    async def exists(self, key: str) -> bool:
        async with self._client() as s3:
            try:
                await s3.head_object(Bucket=self.bucket, Key=self._key(key))
            except s3.exceptions.ClientError:
                return False
            return True

    async def aclose(self) -> None:
        return None


def document_key(dataset_id: str, document_id: str) -> str:
    return f"datasets/{dataset_id}/documents/{document_id}"
