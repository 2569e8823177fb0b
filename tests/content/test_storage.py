"""Both storage backends: the local folder (keys cannot leave the root) and an S3-compatible
bucket, here moto's S3 server over real HTTP with the same aioboto3 code production uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from pydantic import SecretStr

from fltr_content.storage.backends import LocalStorage, S3Storage, document_key
from tests.support import free_port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.mark.core
async def test_local_storage_round_trip_and_confinement(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    source = tmp_path / "in.bin"
    source.write_bytes(b"original bytes")
    key = document_key("ds1", "doc1")
    await storage.put_file(key, source)
    assert await storage.exists(key)
    assert await storage.get_bytes(key) == b"original bytes"
    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.delete(key)  # deleting twice is fine
    for hostile in ("../outside", "/etc/passwd", "a/../../b"):
        with pytest.raises(ValueError, match="leaves the storage root"):
            await storage.put_file(hostile, source)


async def test_s3_storage_round_trip(tmp_path: Path, s3_endpoint: str) -> None:
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket="fltr-test")
    storage = S3Storage(
        "fltr-test",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id="test",
        secret_access_key=SecretStr("test"),
        prefix="originals",
    )
    source = tmp_path / "in.bin"
    source.write_bytes(b"\x00\x01 some bytes" * 1000)
    key = document_key("ds1", "doc1")
    await storage.put_file(key, source)
    assert await storage.exists(key)
    assert await storage.get_bytes(key) == source.read_bytes()
    await storage.delete(key)
    assert not await storage.exists(key)
