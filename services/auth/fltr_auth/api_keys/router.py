"""``/api/v1/api-keys`` (session auth) and ``/internal/v1/api-keys/verify`` (service auth)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from fltr_auth.api_keys import service
from fltr_auth.api_keys.models import ApiKey
from fltr_auth.api_keys.schemas import (
    ApiKeyCreatedOut,
    ApiKeyCreateIn,
    ApiKeyOut,
    ApiKeyUpdateIn,
    KeyOwner,
    VerifiedKeyOut,
    VerifyIn,
)
from fltr_auth.api_keys.usage import UsageRecorder
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.callers.schemas import CallerUser
from fltr_auth.deps import CurrentSessionDep, SettingsDep
from fltr_shared.db import SessionDep, utcnow
from fltr_shared.errors import Unauthorized
from fltr_shared.pagination import Page, PageParamsDep


async def _policy(request: Request, settings: SettingsDep) -> service.KeyPolicy:
    return service.KeyPolicy(
        hash_secret=request.app.state.api_key_hash_secret,
        default_rate_limit_per_minute=settings.api_key_default_rate_limit_per_minute,
        max_active_per_owner=settings.api_key_max_active_per_owner,
        plans=BillingPolicy.from_settings(settings),
    )


async def _usage(request: Request) -> UsageRecorder:
    recorder: UsageRecorder = request.app.state.api_key_usage
    return recorder


PolicyDep = Annotated[service.KeyPolicy, Depends(_policy)]
UsageDep = Annotated[UsageRecorder, Depends(_usage)]

ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No session"},
    404: {"description": "No such key (or not yours)"},
}
router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"], responses=ERRORS)
internal_router = APIRouter(prefix="/internal/v1", tags=["internal"])
NO_STORE = {"Cache-Control": "no-store"}


def _fields(key: ApiKey, policy: service.KeyPolicy, usage: UsageRecorder) -> ApiKeyOut:
    owner = service.owner_of(key)
    pending = usage.last_seen(key.id)
    last_used = key.last_used_at
    if pending is not None and (last_used is None or pending > last_used):
        last_used = pending
    return ApiKeyOut(
        id=key.id,
        prefix=key.prefix,
        name=key.name,
        scopes=key.scopes,
        datasets=key.datasets,
        expires_at=key.expires_at,
        rate_limit_per_minute=key.rate_limit_per_minute or policy.default_rate_limit_per_minute,
        spend_cap=key.spend_cap,
        spend_cap_period=key.spend_cap_period,
        owner=KeyOwner(type=owner.type, id=owner.id),
        created_by=key.created_by,
        status=service.status_of(key, utcnow()),
        last_used_at=last_used,
        revoked_at=key.revoked_at,
        created_at=key.created_at,
        updated_at=key.updated_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyCreatedOut,
    summary="Create a key; the secret (`key`) is in this response only",
    responses={
        403: {"description": "Not a team owner/admin, or the admin scope without being admin"},
        409: {"description": "Too many active keys"},
    },
)
async def create_key(
    body: ApiKeyCreateIn,
    current: CurrentSessionDep,
    db: SessionDep,
    policy: PolicyDep,
    usage: UsageDep,
    response: Response,
) -> ApiKeyCreatedOut:
    key, secret = await service.create(db, current.user, body, policy)
    response.headers.update(NO_STORE)
    return ApiKeyCreatedOut(**_fields(key, policy, usage).model_dump(), key=secret)


@router.get("", response_model=Page[ApiKeyOut], summary="The caller's keys, or a team's")
async def list_keys(
    current: CurrentSessionDep,
    db: SessionDep,
    policy: PolicyDep,
    usage: UsageDep,
    page: PageParamsDep,
    organization_id: Annotated[
        str | None, Query(max_length=64, description="List this team's keys (owner/admin).")
    ] = None,
    include_revoked: Annotated[bool, Query(description="Include revoked keys.")] = False,
) -> Page[ApiKeyOut]:
    rows, total = await service.list_keys(
        db,
        current.user,
        organization_id=organization_id,
        include_revoked=include_revoked,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[ApiKeyOut].build([_fields(k, policy, usage) for k in rows], total, page)


@router.get("/{api_key_id}", response_model=ApiKeyOut, summary="One key (never its secret)")
async def get_key(
    api_key_id: str, current: CurrentSessionDep, db: SessionDep, policy: PolicyDep, usage: UsageDep
) -> ApiKeyOut:
    return _fields(await service.get(db, current.user, api_key_id), policy, usage)


@router.patch(
    "/{api_key_id}",
    response_model=ApiKeyOut,
    summary="Change a key's name, scopes, allowlist, expiry, rate limit or spend cap",
    responses={
        403: {"description": "The admin scope without being admin"},
        409: {"description": "The key is revoked"},
    },
)
async def update_key(
    api_key_id: str,
    body: ApiKeyUpdateIn,
    current: CurrentSessionDep,
    db: SessionDep,
    policy: PolicyDep,
    usage: UsageDep,
) -> ApiKeyOut:
    return _fields(await service.update(db, current.user, api_key_id, body), policy, usage)


@router.delete(
    "/{api_key_id}",
    response_model=ApiKeyOut,
    summary="Revoke a key (at once; revoking twice changes nothing)",
)
async def revoke_key(
    api_key_id: str, current: CurrentSessionDep, db: SessionDep, policy: PolicyDep, usage: UsageDep
) -> ApiKeyOut:
    key, _ = await service.revoke(db, current.user, api_key_id)
    return _fields(key, policy, usage)


@internal_router.post(
    "/api-keys/verify",
    response_model=VerifiedKeyOut,
    summary="Resolve an API key to its owner, scopes, allowlist and limits",
    responses={401: {"description": "Unknown, revoked or expired key, or its owner is banned"}},
)
async def verify_key(
    body: VerifyIn, db: SessionDep, policy: PolicyDep, usage: UsageDep
) -> VerifiedKeyOut:
    verified = await service.verify(db, body.key, policy.hash_secret, usage)
    if verified is None:
        raise Unauthorized(
            "The API key is unknown, revoked or expired, or its owner is banned.",
            code="invalid_api_key",
        )
    key, owner = verified.key, verified.owner
    return VerifiedKeyOut(
        api_key_id=key.id,
        owner=KeyOwner(type=owner.type, id=owner.id),
        user=(
            CallerUser.model_validate(verified.user, from_attributes=True)
            if verified.user is not None
            else None
        ),
        scopes=key.scopes,
        datasets=key.datasets,
        rate_limit_per_minute=key.rate_limit_per_minute or policy.default_rate_limit_per_minute,
        spend_cap=key.spend_cap,
        spend_cap_period=key.spend_cap_period,
        expires_at=key.expires_at,
    )
