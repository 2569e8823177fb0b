"""Annotated dependencies of the auth service: settings, secret, the caller's session."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from fltr_auth.email.sender import Mailer
from fltr_auth.errors import AuthUnauthorized
from fltr_auth.jwt.service import JwtConfig
from fltr_auth.origins import check_request_origin
from fltr_auth.sessions import service as sessions_service
from fltr_auth.sessions.service import ActiveSession, SessionPolicy
from fltr_auth.sessions.transport import PresentedToken, read_token
from fltr_auth.settings import AuthSettings
from fltr_auth.verifications.service import LinkConfig
from fltr_shared.db import SessionDep
from fltr_shared.rate_limit import RateLimiter


async def _settings(request: Request) -> AuthSettings:
    settings: AuthSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[AuthSettings, Depends(_settings)]


async def _secret(request: Request) -> str:
    secret: str = request.app.state.better_auth_secret
    return secret


SecretDep = Annotated[str, Depends(_secret)]


async def _policy(settings: SettingsDep) -> SessionPolicy:
    return SessionPolicy(
        expires_in=timedelta(seconds=settings.session_expires_in_seconds),
        update_age=timedelta(seconds=settings.session_update_age_seconds),
    )


PolicyDep = Annotated[SessionPolicy, Depends(_policy)]


async def _presented(request: Request, secret: SecretDep) -> PresentedToken | None:
    return read_token(request, secret)


PresentedDep = Annotated[PresentedToken | None, Depends(_presented)]


async def _optional_session(
    db: SessionDep, presented: PresentedDep, policy: PolicyDep
) -> ActiveSession | None:
    if presented is None:
        return None
    return await sessions_service.resolve(
        db, presented.token, policy, refresh=not presented.dont_remember
    )


OptionalSessionDep = Annotated[ActiveSession | None, Depends(_optional_session)]


async def _required_session(active: OptionalSessionDep) -> ActiveSession:
    if active is None:
        raise AuthUnauthorized("UNAUTHORIZED")
    return active


CurrentSessionDep = Annotated[ActiveSession, Depends(_required_session)]


async def _jwt_config(settings: SettingsDep, secret: SecretDep) -> JwtConfig:
    return JwtConfig(
        secret=secret,
        issuer=settings.base_origin,
        audience=settings.base_origin,
        expires_in=timedelta(seconds=settings.jwt_expires_in_seconds),
    )


JwtConfigDep = Annotated[JwtConfig, Depends(_jwt_config)]


async def _link_config(settings: SettingsDep, secret: SecretDep) -> LinkConfig:
    return LinkConfig(
        secret=secret,
        base_url=settings.better_auth_url,
        verification_expires_in=timedelta(seconds=settings.email_verification_expires_in_seconds),
        reset_expires_in=timedelta(seconds=settings.password_reset_expires_in_seconds),
    )


LinkConfigDep = Annotated[LinkConfig, Depends(_link_config)]


async def _mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


EmailDep = Annotated[Mailer, Depends(_mailer)]


async def _rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


RateLimiterDep = Annotated[RateLimiter, Depends(_rate_limiter)]


async def origin_guard(request: Request, settings: SettingsDep) -> None:
    """Router-level: cookie-authenticated changes must come from a trusted origin."""
    check_request_origin(request, settings)
