"""JavaScript semantics the Better Auth primitives rely on, reproduced exactly.

Better Auth runs on JavaScript strings (UTF-16) and serialises with ``TextEncoder``,
``encodeURIComponent``/``decodeURIComponent`` and ``JSON.stringify``. Python's nearest
equivalents differ at the edges (lone surrogates, ``%`` escapes, number formatting, key order),
and those edges change bytes that get hashed, signed or encrypted, so they are spelled out here.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# ECMAScript array-index keys ("0" .. "4294967294") are listed first, in numeric order.
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_MAX_ARRAY_INDEX = 2**32 - 2


def js_string(value: str) -> str:
    """Join surrogate pairs written as two code points, as a JS string would read them."""
    if not _LONE_SURROGATE.search(value):
        return value
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def js_utf8(value: str) -> bytes:
    """UTF-8 bytes as ``new TextEncoder().encode(value)`` makes them.

    ``TextEncoder`` (and Node's ``Buffer``) turn a lone surrogate into U+FFFD instead of
    failing; Python's strict codec would raise. JSON request bodies can carry such strings.
    """
    value = js_string(value)
    if _LONE_SURROGATE.search(value):
        value = _LONE_SURROGATE.sub("\ufffd", value)
    return value.encode("utf-8")


def js_length(value: str) -> int:
    """``value.length`` in JavaScript: UTF-16 code units, so astral characters count twice."""
    return len(js_string(value).encode("utf-16-le", "surrogatepass")) // 2


def encode_uri_component(value: str) -> str:
    """``encodeURIComponent``: keeps ``A-Za-z0-9-_.!~*'()``, escapes the rest as UTF-8.

    Raises ``UnicodeEncodeError`` (a ``ValueError``) on a lone surrogate, where JS raises
    ``URIError``.
    """
    return quote(js_string(value), safe="!~*'()")


def decode_uri_component(value: str) -> str:
    """``decodeURIComponent``; raises ``ValueError`` where JS raises ``URIError``.

    Unlike ``urllib.parse.unquote`` this rejects a ``%`` not followed by two hex digits and
    percent-escapes that are not valid UTF-8, instead of passing them through.
    """
    if _BAD_PERCENT.search(value):
        raise ValueError("malformed percent-escape")
    return unquote(value, encoding="utf-8", errors="strict")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (JWS segments and JWK members)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(value: str) -> bytes:
    """Strict unpadded base64url, as JWK members are written; ``ValueError`` otherwise."""
    if not _B64URL.fullmatch(value) or len(value) % 4 == 1:
        raise ValueError("invalid base64url")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except binascii.Error as exc:  # pragma: no cover - the regex above already rules it out
        raise ValueError("invalid base64url") from exc


def _number(value: float) -> str:
    """``Number.prototype.toString`` (what ``JSON.stringify`` writes), non-finite as ``null``."""
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"  # JSON.stringify(-0) is "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest round-tripping digits, as ECMAScript requires; only the
    # placement of the decimal point and the exponent style differ, so re-lay them out.
    parts = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, parts.digits)).rstrip("0") or "0"
    exponent = int(parts.exponent)  # finite, so never the 'n'/'N'/'F' sentinels
    n = exponent + len(parts.digits)  # value = 0.<digits> * 10**n
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"
    return sign + text


def _string(value: str) -> str:
    # json.dumps(ensure_ascii=False) escapes exactly what JSON.stringify escapes (quote,
    # backslash, \b \f \n \r \t, other C0 controls as lowercase \u00xx) except lone
    # surrogates, which JSON.stringify writes as \udxxx escapes.
    text = json.dumps(js_string(value), ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _date(value: dt.datetime) -> str:
    # Date.prototype.toJSON: UTC, millisecond precision, "Z". Naive datetimes are taken as
    # UTC, which is how Better Auth and FLTR store timestamps.
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _ordered_keys(obj: Mapping[str, Any]) -> list[str]:
    keys = list(obj)
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
    index_keys = sorted(
        (k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) <= _MAX_ARRAY_INDEX), key=int
    )
    index_set = set(index_keys)
    return index_keys + [k for k in keys if k not in index_set]


def json_stringify(value: Any) -> str:
    """``JSON.stringify(value)`` byte for byte (compact, insertion order, JS numbers).

    Handles ``None``/``bool``/``int``/``float``/``str``, mappings with string keys, lists and
    tuples, and ``datetime`` (serialised like a JS ``Date``). Like JS, object keys that are
    array indices come first in ascending order.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))  # int() so IntEnum members print their value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime):
        return _string(_date(value))
    if isinstance(value, Mapping):
        members = (f"{_string(k)}:{json_stringify(value[k])}" for k in _ordered_keys(value))
        return "{" + ",".join(members) + "}"
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return "[" + ",".join(json_stringify(item) for item in value) + "]"
    raise TypeError(f"cannot serialise {type(value).__name__} as JSON")
