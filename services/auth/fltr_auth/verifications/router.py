"""``/api/auth`` email verification and password reset, with Better Auth's shapes."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, RedirectResponse

from fltr_auth.deps import EmailDep, LinkConfigDep, SettingsDep
from fltr_auth.origins import absolute, check_redirect
from fltr_auth.users.schemas import StatusOut
from fltr_auth.verifications import service
from fltr_auth.verifications.schemas import (
    RequestResetIn,
    ResetPasswordIn,
    ResetRequestedOut,
    SendVerificationIn,
)
from fltr_auth.wire import WireModel
from fltr_shared.db import SessionDep
from fltr_shared.errors import AppError

router = APIRouter(prefix="/api/auth", tags=["auth: verification"])


class VerifiedOut(WireModel):
    """verify-email's JSON answer (without a callbackURL), as Better Auth sends it."""

    status: bool
    user: None = None


@router.post(
    "/send-verification-email",
    response_model=StatusOut,
    summary="Email a verification link (answers the same whether or not the address exists)",
)
async def send_verification_email(
    body: SendVerificationIn,
    db: SessionDep,
    settings: SettingsDep,
    config: LinkConfigDep,
    email: EmailDep,
) -> StatusOut:
    check_redirect(body.callback_url, settings)
    user = await service.user_to_verify(db, body.email)
    if user is not None:
        email.send_after_commit(db, service.verification_email(config, user, body.callback_url))
    return StatusOut(status=True)


@router.get(
    "/verify-email",
    summary="Follow a verification link",
    responses={
        200: {"model": VerifiedOut, "description": "Verified (no callbackURL given)"},
        302: {"description": "To callbackURL"},
        400: {},
        401: {},
    },
    response_model=None,
)
async def verify_email(
    token: Annotated[str, Query(max_length=4096)],
    db: SessionDep,
    settings: SettingsDep,
    config: LinkConfigDep,
    callback_url: Annotated[str | None, Query(alias="callbackURL", max_length=2048)] = None,
) -> JSONResponse | RedirectResponse:
    check_redirect(callback_url, settings)
    try:
        await service.verify_email(db, config, token)
    except AppError as exc:
        if not callback_url:
            raise
        # Better Auth sends a browser back to the app with the error instead of a JSON body.
        separator = "&" if "?" in callback_url else "?"
        error = getattr(exc, "ba_code", exc.code)
        return RedirectResponse(f"{callback_url}{separator}error={error}", status_code=302)
    if callback_url:
        return RedirectResponse(callback_url, status_code=302)
    return JSONResponse({"status": True, "user": None})


@router.post(
    "/request-password-reset",
    response_model=ResetRequestedOut,
    summary="Email a reset link (the answer never says whether the address exists)",
)
async def request_password_reset(
    body: RequestResetIn,
    db: SessionDep,
    settings: SettingsDep,
    config: LinkConfigDep,
    email: EmailDep,
) -> ResetRequestedOut:
    check_redirect(body.redirect_to, settings, "INVALID_REDIRECT_URL")
    message = await service.start_password_reset(db, config, body.email, body.redirect_to)
    if message is not None:
        email.send_after_commit(db, message)
    return ResetRequestedOut(status=True, message=service.RESET_MESSAGE)


@router.get(
    "/reset-password/{token}",
    summary="Follow a reset link: redirect to callbackURL with the token, or with an error",
    status_code=302,
    response_class=RedirectResponse,
)
async def reset_password_link(
    token: str,
    db: SessionDep,
    settings: SettingsDep,
    callback_url: Annotated[str, Query(alias="callbackURL", max_length=2048)],
) -> RedirectResponse:
    check_redirect(callback_url, settings)
    valid = await service.reset_token_is_valid(db, token)
    query = {"token": token} if valid else {"error": "INVALID_TOKEN"}
    target = absolute(callback_url, settings)
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}{urlencode(query)}", status_code=302)


@router.post("/reset-password", response_model=StatusOut, summary="Set a new password")
async def reset_password(body: ResetPasswordIn, db: SessionDep) -> StatusOut:
    await service.reset_password(db, body.token, body.new_password)
    return StatusOut(status=True)
