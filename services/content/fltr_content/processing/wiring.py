"""Build the job machinery from settings, for the web app and for Celery workers alike."""

from __future__ import annotations

from fltr_content.embeddings.base import Embedder
from fltr_content.embeddings.factory import build_embedder
from fltr_content.settings import ContentSettings
from fltr_content.storage.backends import LocalStorage, S3Storage, Storage


def embedder_from(settings: ContentSettings) -> Embedder:
    provider = settings.embedding_provider
    if provider == "minilm":
        return build_embedder("minilm", intra_op_threads=settings.embedding_threads)
    if provider == "openai":
        return build_embedder(
            "openai",
            base_url=settings.embedding_base_url,
            model=settings.embedding_model,
            dimension=settings.embedding_dimension,
            api_key=settings.embedding_api_key.get_secret_value()
            if settings.embedding_api_key
            else None,
        )
    return build_embedder(provider, dimension=settings.embedding_dimension)


def storage_from(settings: ContentSettings) -> Storage:
    if settings.s3_bucket:
        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
        )
    assert settings.storage_dir is not None
    return LocalStorage(settings.storage_dir)
