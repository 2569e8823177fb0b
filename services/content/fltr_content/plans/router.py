"""``POST /api/v1/datasets/{slug}/checkout``: buy or subscribe to a premium dataset.

The content service owns the dataset's price and owner, so it sends those facts to the auth
service (which owns Stripe and the buyer) and passes its answer on: 200 ``{"url",
"session_id"}``, 409 ``own_dataset`` / ``free_dataset`` / ``already_entitled``, 503
``billing_disabled`` when Stripe is not configured.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from fltr_content.callers.deps import CallerDep
from fltr_content.datasets.directory import directory_of
from fltr_content.plans import service
from fltr_shared.db import SessionDep

router = APIRouter(prefix="/api/v1/datasets", tags=["billing"])

Slug = Annotated[str, Path(min_length=1, max_length=100)]


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval: Literal["month", "year"] = "month"


class CheckoutOut(BaseModel):
    url: str
    session_id: str


@router.post(
    "/{slug}/checkout",
    response_model=CheckoutOut,
    summary="Start a Stripe Checkout for a premium dataset (purchase or subscription)",
    responses={
        403: {"description": "API keys cannot buy"},
        404: {"description": "No such dataset, or one you may not see"},
        409: {"description": "Your own dataset, a free one, or one you already have"},
        503: {"description": "billing_disabled: Stripe is not configured"},
    },
)
async def checkout(
    slug: Slug, body: CheckoutIn, request: Request, db: SessionDep, caller: CallerDep
) -> JSONResponse:
    status, answer = await service.checkout(
        db, caller, slug, body.interval, request.app.state.auth_client, directory_of(request)
    )
    return JSONResponse(answer, status_code=status)
