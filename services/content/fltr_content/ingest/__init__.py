"""The document pipeline's pure half: sniff the type from the bytes, parse to text with
positions, chunk by tokens. No database, no HTTP; every function is sync CPU work that the
caller runs in a thread.

Import from the modules (this package imports nothing, so importing ``ingest.errors`` or
``ingest.sniff`` does not load pypdf, python-docx or the tokenizer):
``sniff.sniff``, ``parsers.parse_document``, ``chunking.chunk_document``, ``errors``,
``document.ParsedDocument``.
"""
