"""Literals for Milvus filter expressions built from caller-supplied values.

``chunks.quote`` escapes with ``ensure_ascii=True``; Milvus' parser does not decode ``\\uXXXX``,
so a non-ASCII value quoted that way never matches (measured on Milvus Lite 2.5.1:
``section == "\\u00fc"`` finds nothing stored as ``ü``). Here the text stays UTF-8 and only
JSON's own escapes are used (quotes, backslashes), which Milvus does read. Callers must refuse
control characters and unpaired surrogates first (the search schemas do): the first cannot be
matched reliably and the second cannot even be encoded.
"""

from __future__ import annotations

import json


def text_literal(value: str) -> str:
    """A double-quoted Milvus string literal equal to ``value``."""
    return json.dumps(value, ensure_ascii=False)


def int_literal(value: int) -> str:
    return str(int(value))
