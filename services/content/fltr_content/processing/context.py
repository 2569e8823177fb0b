"""What job code needs, the same in the web process (in-process workers) and in a Celery
worker: the database, the chunk collections, the originals, the embedder and the ledger."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

from fltr_content.credits.charges import Charges
from fltr_content.embeddings.base import Embedder
from fltr_content.settings import ContentSettings
from fltr_content.storage.backends import Storage
from fltr_content.vectors.chunks import ChunkStore
from fltr_shared.db import Database


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobContext:
    settings: ContentSettings
    db: Database
    chunks: ChunkStore
    storage: Storage
    embedder: Embedder
    charges: Charges
    worker: str = field(default_factory=worker_name)
