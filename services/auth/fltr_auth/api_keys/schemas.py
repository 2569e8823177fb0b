"""Bodies of ``/api/v1/api-keys`` (snake_case, FLTR's own API) and of the internal verify.

The secret (``key``) appears in :class:`ApiKeyCreatedOut` only; no schema carries the hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from fltr_auth.callers.schemas import CallerUser

Scope = Literal["read", "write", "admin"]
SpendCapPeriod = Literal["day", "week", "month"]
OwnerType = Literal["user", "team"]
Status = Literal["active", "expired", "revoked"]  # of a key, as of the answer

MAX_DATASETS = 100
MAX_RATE_LIMIT_PER_MINUTE = 10_000
MAX_SPEND_CAP = 2_000_000_000  # credits per period; fits the INTEGER column

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# a dataset id or slug
DatasetRef = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][\w.:-]*$"
    ),
]
RateLimit = Annotated[StrictInt, Field(ge=1, le=MAX_RATE_LIMIT_PER_MINUTE)]
SpendCap = Annotated[StrictInt, Field(ge=1, le=MAX_SPEND_CAP)]
Scopes = Annotated[list[Scope], Field(min_length=1, max_length=3)]
Datasets = Annotated[
    list[DatasetRef],
    Field(
        min_length=1,
        max_length=MAX_DATASETS,
        description="Dataset ids or slugs the key may touch (at most 100); null means any.",
    ),
]


def _read_only() -> list[Scope]:
    return ["read"]


def _unique(values: list[str] | None) -> list[str] | None:
    return list(dict.fromkeys(values)) if values is not None else None


class _KeyFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("scopes", "datasets", mode="after", check_fields=False)
    @classmethod
    def _dedupe(cls, value: list[str] | None) -> list[str] | None:
        return _unique(value)

    @field_validator("expires_at", mode="after", check_fields=False)
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(value.tzinfo):
            raise ValueError("expires_at must be in the future")
        return value


class ApiKeyCreateIn(_KeyFields):
    name: KeyName
    scopes: Scopes = Field(default_factory=_read_only)
    datasets: Datasets | None = None
    expires_at: AwareDatetime | None = Field(None, description="Never expires when null.")
    rate_limit_per_minute: RateLimit | None = Field(
        None, description="Requests per minute; API_KEY_DEFAULT_RATE_LIMIT_PER_MINUTE if null."
    )
    spend_cap: SpendCap | None = Field(None, description="Credits the key may spend per period.")
    spend_cap_period: SpendCapPeriod | None = Field(
        None, description="Period of the spend cap; month when a cap is given without one."
    )
    organization_id: str | None = Field(
        None, min_length=1, max_length=64, description="Create a team key (owner/admin only)."
    )

    @model_validator(mode="after")
    def _cap_and_period(self) -> ApiKeyCreateIn:
        if self.spend_cap is None and self.spend_cap_period is not None:
            raise ValueError("spend_cap_period needs a spend_cap")
        if self.spend_cap is not None and self.spend_cap_period is None:
            self.spend_cap_period = "month"
        return self


class ApiKeyUpdateIn(_KeyFields):
    """Only the fields sent change; ``null`` clears the allowlist, expiry or spend cap."""

    name: KeyName | None = None
    scopes: Scopes | None = None
    datasets: Datasets | None = None
    expires_at: AwareDatetime | None = None
    rate_limit_per_minute: RateLimit | None = None
    spend_cap: SpendCap | None = None
    spend_cap_period: SpendCapPeriod | None = None

    @model_validator(mode="after")
    def _not_null(self) -> ApiKeyUpdateIn:
        for name in ("name", "scopes", "rate_limit_per_minute"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if (
            "spend_cap_period" in self.model_fields_set
            and self.spend_cap_period is not None
            and "spend_cap" in self.model_fields_set
            and self.spend_cap is None
        ):
            raise ValueError("spend_cap_period needs a spend_cap")
        return self


class KeyOwner(BaseModel):
    type: OwnerType
    id: str


class ApiKeyOut(BaseModel):
    id: str
    prefix: str = Field(description="The key's first 12 characters, for recognizing it.")
    name: str
    scopes: list[str]
    datasets: list[str] | None
    expires_at: datetime | None
    rate_limit_per_minute: int
    spend_cap: int | None
    spend_cap_period: str | None
    owner: KeyOwner
    created_by: str | None
    status: Status
    last_used_at: datetime | None = Field(
        description="Written in batches: may trail the latest use by a few seconds."
    )
    revoked_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The secret. Shown in this response only: store it now.")


# ---- internal: /internal/v1/api-keys/verify


class VerifyIn(BaseModel):
    key: str = Field(min_length=1, max_length=512, description="The key as presented.")


class VerifiedKeyOut(BaseModel):
    api_key_id: str
    owner: KeyOwner
    user: CallerUser | None = Field(description="The owning user; null for a team key.")
    scopes: list[str]
    datasets: list[str] | None
    rate_limit_per_minute: int
    spend_cap: int | None
    spend_cap_period: str | None
    expires_at: datetime | None
