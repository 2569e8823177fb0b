"""The internal contract ``POST /internal/v1/entitlements/check``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Visibility = Literal["public", "private", "premium"]
PricingModel = Literal["free", "one_time", "subscription"]
Reason = Literal[
    "public",  # public and free: anyone
    "owner",  # the caller owns the dataset
    "team_member",  # the dataset belongs to a team the caller is in (or a key of that team)
    "admin",  # a site admin (a key needs the admin scope for this)
    "private",  # refused: private and not the owner's side
    "subscribed",  # paid: an active subscription to this dataset (or the owner's team's)
    "purchased",  # paid: a one-time purchase of this dataset
    "premium",  # refused: paid, and no active subscription or purchase
    "not_in_allowlist",  # refused: the key's dataset allowlist does not name it
    "invalid_api_key",  # refused: unknown, revoked or expired key, or its owner is banned
    "unknown_user",  # refused: no such user, or banned
]


class EntitlementCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(None, min_length=1, max_length=64)
    api_key_id: str | None = Field(None, min_length=1, max_length=64)
    dataset_id: str = Field(min_length=1, max_length=200)
    dataset_slug: str | None = Field(
        None, min_length=1, max_length=200, description="Matched against key allowlists too."
    )
    owner_id: str = Field(min_length=1, max_length=64, description="The dataset's owner.")
    owner_type: Literal["user", "team"] = "user"
    visibility: Visibility
    pricing_model: PricingModel

    @model_validator(mode="after")
    def _one_principal(self) -> EntitlementCheckIn:
        if (self.user_id is None) == (self.api_key_id is None):
            raise ValueError("give exactly one of user_id and api_key_id")
        return self


class EntitlementOut(BaseModel):
    allowed: bool
    reason: Reason
