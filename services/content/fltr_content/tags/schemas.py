"""Tag names as datasets accept them, and the bodies of ``/api/v1/tags``.

Documented limits: at most 20 tags per dataset, each 1..50 characters. Names are normalised:
trimmed, inner whitespace collapsed, lower-cased; the slug is made from the name and must not
be empty.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_TAGS_PER_DATASET = 20
MAX_TAG_LENGTH = 50


def normalise_name(raw: str) -> str:
    return " ".join(raw.split()).lower()


def tag_slug(name: str) -> str:
    """Lowercase ASCII words joined by ``-`` (accents dropped); empty if none are left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _valid_name(raw: str) -> str:
    name = normalise_name(raw)
    if not tag_slug(name):
        raise ValueError("a tag needs at least one letter or digit")
    return name


TagName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG_LENGTH),
    AfterValidator(_valid_name),
]
TagNames = Annotated[list[TagName], Field(max_length=MAX_TAGS_PER_DATASET)]


class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    slug: str
    description: str | None
    icon: str | None
    usage_count: int
    created_at: datetime
