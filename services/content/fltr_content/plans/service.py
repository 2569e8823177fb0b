"""Dataset checkout: the dataset's facts go to the auth service, which owns Stripe.

Never commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import Caller
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.documents.service import readable_dataset
from fltr_shared.errors import Forbidden


async def checkout(
    session: AsyncSession,
    caller: Caller,
    slug: str,
    interval: str,
    auth: AuthServiceClient,
    directory: OwnerDirectory | None = None,
) -> tuple[int, Any]:
    if caller.api_key_id is not None or caller.owner_type != "user":
        raise Forbidden("Sign in as a user to buy; API keys cannot start a checkout.")
    dataset = await readable_dataset(session, caller, slug, directory)
    return await auth.dataset_checkout(
        {
            "user_id": caller.user_id,
            "dataset_id": dataset.id,
            "owner_id": dataset.owner_id,
            "owner_type": dataset.owner_type,
            "pricing_model": dataset.pricing_model,
            "name": dataset.name,
            "price_cents": dataset.price_cents,
            "price_monthly_cents": dataset.price_monthly_cents,
            "price_annual_cents": dataset.price_annual_cents,
            "interval": interval,
        }
    )
