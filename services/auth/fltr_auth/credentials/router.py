"""``/api/auth`` email-and-password endpoints, with Better Auth's shapes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from fltr_auth.credentials import service
from fltr_auth.credentials.service import Client
from fltr_auth.deps import (
    CurrentSessionDep,
    PolicyDep,
    RateLimiterDep,
    SecretDep,
    SettingsDep,
)
from fltr_auth.origins import check_redirect
from fltr_auth.sessions.schemas import SignInIn, TokenUserOut
from fltr_auth.sessions.transport import set_session_cookie
from fltr_auth.settings import AuthSettings
from fltr_auth.users.schemas import ChangePasswordIn, SignUpIn, UserOut
from fltr_auth.users.service import check_client_fields
from fltr_auth.wire import WireModel
from fltr_shared.db import SessionDep
from fltr_shared.rate_limit import RateLimiter

router = APIRouter(prefix="/api/auth", tags=["auth: email and password"])


class PasswordChangedOut(WireModel):
    """change-password's answer: the new session's token when other sessions were ended."""

    token: str | None
    user: UserOut


def client_of(request: Request) -> Client:
    return Client(
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def _limit(
    limiter: RateLimiter, settings: AuthSettings, request: Request, email: str
) -> None:
    """Per IP and per email, so neither one address nor one account can be hammered."""
    client = client_of(request)
    await limiter.hit(settings.sign_in_rate_limit, "sign-in:ip", client.ip_address or "unknown")
    await limiter.hit(settings.sign_in_rate_limit, "sign-in:email", email.strip().lower())


def _signed_in_response(
    settings: AuthSettings,
    secret: str,
    signed_in: service.SignedIn,
    remember: bool,
    *,
    sign_up: bool = False,
    callback_url: str | None = None,
) -> JSONResponse:
    user = UserOut.model_validate(signed_in.user).model_dump(mode="json", by_alias=True)
    if sign_up:  # Better Auth answers sign-up with {token, user} only
        response = JSONResponse({"token": signed_in.session.token, "user": user})
    else:
        body = TokenUserOut(
            redirect=callback_url is not None,
            token=signed_in.session.token,
            url=callback_url,
            user=UserOut.model_validate(signed_in.user),
        )
        response = JSONResponse(body.model_dump(mode="json", by_alias=True, exclude_none=True))
        if callback_url is not None:
            response.headers["location"] = callback_url
    set_session_cookie(
        response,
        signed_in.session.token,
        secret,
        secure=settings.secure_cookies,
        max_age=settings.session_expires_in_seconds,
        remember=remember,
    )
    return response


@router.post(
    "/sign-up/email",
    response_model=TokenUserOut,
    summary="Create a user with email and password, and sign in",
    responses={
        400: {"description": "Invalid email or password length"},
        422: {"description": "Email already used"},
    },
)
async def sign_up_email(
    body: SignUpIn,
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
    policy: PolicyDep,
    limiter: RateLimiterDep,
) -> JSONResponse:
    await _limit(limiter, settings, request, body.email)
    check_client_fields(body.model_extra)
    check_redirect(body.callback_url, settings)
    signed_in = await service.sign_up(
        db,
        policy,
        client_of(request),
        name=body.name,
        email=body.email,
        password=body.password,
        image=body.image,
        username=body.username,
        remember=body.remember_me,
    )
    return _signed_in_response(settings, secret, signed_in, body.remember_me, sign_up=True)


@router.post(
    "/sign-in/email",
    response_model=TokenUserOut,
    summary="Sign in with email and password",
    responses={
        401: {"description": "Invalid email or password"},
        403: {"description": "Banned user"},
    },
)
async def sign_in_email(
    body: SignInIn,
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
    policy: PolicyDep,
    limiter: RateLimiterDep,
) -> JSONResponse:
    await _limit(limiter, settings, request, body.email)
    check_redirect(body.callback_url, settings)
    signed_in = await service.sign_in(
        db,
        policy,
        client_of(request),
        email=body.email,
        password=body.password,
        remember=body.remember_me,
    )
    return _signed_in_response(
        settings, secret, signed_in, body.remember_me, callback_url=body.callback_url
    )


@router.post(
    "/change-password",
    summary="Change the password (optionally ending every other session)",
    response_model=PasswordChangedOut,
    responses={
        400: {"description": "Wrong current password or bad new one"},
        401: {"description": "No session"},
    },
)
async def change_password(
    body: ChangePasswordIn,
    request: Request,
    current: CurrentSessionDep,
    db: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
    policy: PolicyDep,
) -> JSONResponse:
    new_session = await service.change_password(
        db,
        policy,
        client_of(request),
        current,
        current_password=body.current_password,
        new_password=body.new_password,
        revoke_other_sessions=body.revoke_other_sessions,
    )
    user = UserOut.model_validate(current.user).model_dump(mode="json", by_alias=True)
    response = JSONResponse({"token": new_session.token if new_session else None, "user": user})
    if new_session is not None:
        set_session_cookie(
            response,
            new_session.token,
            secret,
            secure=settings.secure_cookies,
            max_age=settings.session_expires_in_seconds,
        )
    return response
