"""The Milvus connection (Milvus Lite file by default, a server by MILVUS_URI)."""
