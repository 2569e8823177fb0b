"""``/api/auth`` social sign-in endpoints, with Better Auth's shapes.

``POST /sign-in/social`` answers ``{"url", "redirect"}`` (200, plus ``Location`` unless
``disableRedirect``) and sets the signed ``better-auth.state`` cookie; the provider sends the
browser to ``/callback/{provider}``, which answers 302 to where the flow ends, with the session
cookie on success. ``POST /callback/{provider}`` (``response_mode=form_post``) is turned into
the GET, as Better Auth does, so that the SameSite=Lax state cookie comes along.
"""

from __future__ import annotations

import html
import json
import re
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.responses import Response

from fltr_auth.credentials.service import Client
from fltr_auth.deps import PolicyDep, RateLimiterDep, SecretDep, SettingsDep
from fltr_auth.errors import AuthForbidden
from fltr_auth.origins import is_trusted_redirect
from fltr_auth.security import cookies
from fltr_auth.sessions.transport import set_session_cookie
from fltr_auth.settings import AuthSettings
from fltr_auth.social import providers, service
from fltr_auth.social.schemas import SocialSignInIn, SocialSignInOut
from fltr_shared.db import SessionDep

router = APIRouter(prefix="/api/auth", tags=["auth: social"])

STATE_COOKIE = f"{cookies.COOKIE_PREFIX}.state"
STATE_COOKIE_MAX_AGE = 300  # Better Auth: createAuthCookie("state", { maxAge: 300 })
# The parameters Better Auth's callback schema keeps from a form_post.
CALLBACK_KEYS = ("code", "error", "device_id", "error_description", "state", "user", "iss")
MAX_FORM_POST_BYTES = 64 * 1024
SAFE_ERROR_CODE = re.compile(r"[A-Za-z0-9_'-]+")
ErrorParam = Annotated[str | None, Query(max_length=2048)]


async def _social_config(settings: SettingsDep) -> service.SocialConfig:
    return service.SocialConfig(
        base_url=settings.better_auth_url,
        error_url=settings.oauth_error_url or f"{settings.better_auth_url}/api/auth/error",
        providers=providers.configured(settings),
        trusted_providers=frozenset(settings.trusted_providers),
    )


SocialConfigDep = Annotated[service.SocialConfig, Depends(_social_config)]


def _client(request: Request) -> Client:
    return Client(
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _state_cookie_name(settings: AuthSettings) -> str:
    return (cookies.SECURE_PREFIX if settings.secure_cookies else "") + STATE_COOKIE


def _set_state_cookie(response: Response, settings: AuthSettings, secret: str, state: str) -> None:
    response.set_cookie(
        _state_cookie_name(settings),
        cookies.encode_cookie_value(cookies.sign_cookie_value(state, secret)),
        max_age=STATE_COOKIE_MAX_AGE,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def _expire_state_cookie(response: Response, settings: AuthSettings) -> None:
    response.set_cookie(
        _state_cookie_name(settings),
        "",
        max_age=0,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def _state_from_cookie(request: Request, settings: AuthSettings, secret: str) -> str | None:
    raw = request.cookies.get(_state_cookie_name(settings))
    return cookies.verify_signed_value(raw, secret) if raw else None


def _check_redirect_targets(body: SocialSignInIn, settings: AuthSettings) -> None:
    """Better Auth's origin-check middleware: every redirect target must be trusted."""
    for url, label, code in (
        (body.callback_url, "callbackURL", "INVALID_CALLBACK_URL"),
        (body.error_callback_url, "errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"),
        (body.new_user_callback_url, "newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"),
    ):
        if url and not is_trusted_redirect(url, settings):
            raise AuthForbidden(code, f"Invalid {label}")  # Better Auth's message


@router.post(
    "/sign-in/social",
    response_model=SocialSignInOut,
    summary="Start signing in with Google, GitHub or X: the provider's authorization URL",
    responses={
        403: {"description": "Untrusted callbackURL, errorCallbackURL or newUserCallbackURL"},
        404: {"description": "Unknown or unconfigured provider"},
    },
)
async def sign_in_social(
    body: SocialSignInIn,
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
    config: SocialConfigDep,
    limiter: RateLimiterDep,
) -> JSONResponse:
    _check_redirect_targets(body, settings)
    # Each call stores a state row: limit them per IP like the other sign-ins.
    await limiter.hit(settings.sign_in_rate_limit, "social:ip", _client(request).ip_address or "-")
    started = await service.start(
        db,
        config,
        body.provider,
        callback_url=body.callback_url,
        error_callback_url=body.error_callback_url,
        new_user_callback_url=body.new_user_callback_url,
        scopes=body.scopes,
        login_hint=body.login_hint,
    )
    out = SocialSignInOut(url=started.url, redirect=not body.disable_redirect)
    response = JSONResponse(out.model_dump(mode="json", by_alias=True))
    if not body.disable_redirect:
        response.headers["Location"] = started.url
    _set_state_cookie(response, settings, secret, started.state)
    return response


@router.get(
    "/callback/{provider_id}",
    summary="The provider's redirect back: sign in and go to callbackURL, or to the error URL",
    status_code=302,
    response_class=RedirectResponse,
)
async def callback(
    provider_id: str,
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
    policy: PolicyDep,
    config: SocialConfigDep,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: ErrorParam = None,
    error_description: ErrorParam = None,
) -> RedirectResponse:
    finished = await service.finish(
        db,
        config,
        policy,
        _client(request),
        provider_id,
        service.CallbackParams(
            code=code, state=state, error=error, error_description=error_description
        ),
        _state_from_cookie(request, settings, secret),
    )
    response = RedirectResponse(finished.redirect_to, status_code=302)
    if finished.state_consumed:
        _expire_state_cookie(response, settings)
    if finished.signed_in is not None:
        set_session_cookie(
            response,
            finished.signed_in.session.token,
            secret,
            secure=settings.secure_cookies,
            max_age=settings.session_expires_in_seconds,
        )
    return response


@router.post(
    "/callback/{provider_id}",
    summary="A form_post callback, redirected to the GET callback with the same parameters",
    status_code=302,
    response_class=RedirectResponse,
)
async def callback_form_post(
    provider_id: str, request: Request, config: SocialConfigDep
) -> RedirectResponse:
    body = await request.body()
    posted: dict[str, str] = {}
    if len(body) <= MAX_FORM_POST_BYTES:
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                decoded = json.loads(body or b"{}")
            except ValueError:
                decoded = {}
            if isinstance(decoded, dict):
                posted = {k: str(v) for k, v in decoded.items() if v is not None}
        else:
            posted = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    merged = {**posted, **request.query_params}  # the query wins, as in Better Auth
    params = {k: merged[k] for k in CALLBACK_KEYS if k in merged}
    target = f"{config.base_url}{service.CALLBACK_PATH}{quote(provider_id, safe='')}"
    return RedirectResponse(f"{target}?{urlencode(params)}", status_code=302)


@router.get("/error", include_in_schema=False, response_model=None)
async def error_page(
    settings: SettingsDep, error: ErrorParam = None, error_description: ErrorParam = None
) -> Response:
    """Better Auth's default error page for failed sign-ins (a minimal one)."""
    code = error if error and SAFE_ERROR_CODE.fullmatch(error) else "UNKNOWN"
    params = {"error": code}
    if error_description:
        params["error_description"] = error_description
    if settings.oauth_error_url:
        return RedirectResponse(service.append_query(settings.oauth_error_url, params), 302)
    if settings.is_production:
        return RedirectResponse(f"/?{urlencode(params)}", status_code=302)
    description = html.escape(error_description) if error_description else ""
    return HTMLResponse(
        '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>Error</title>'
        f"</head><body><h1>Sign-in failed</h1><p><code>{html.escape(code)}</code></p>"
        f"<p>{description}</p></body></html>"
    )
