"""FLTR content service: datasets, documents, ingestion, search and MCP (fltr database, Milvus)."""

__version__ = "0.1.0"
