"""FLTR's curator CLI (``fltr``) and the small typed SDK it is built on."""

from fltr.client import (
    Dataset,
    DatasetPage,
    Document,
    FltrClient,
    FltrError,
    Job,
    UploadedDocument,
    UploadReport,
)
from fltr.config import Config

__all__ = [
    "Config",
    "Dataset",
    "DatasetPage",
    "Document",
    "FltrClient",
    "FltrError",
    "Job",
    "UploadReport",
    "UploadedDocument",
]
__version__ = "0.1.0"
