"""Annotated dependency aliases of the content service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fltr_content.auth_client import AuthServiceClient
from fltr_content.settings import ContentSettings
from fltr_content.vectors.store import VectorStore


async def _settings(request: Request) -> ContentSettings:
    settings: ContentSettings = request.app.state.settings
    return settings


async def _vectors(request: Request) -> VectorStore:
    store: VectorStore = request.app.state.vectors
    return store


async def _auth_client(request: Request) -> AuthServiceClient:
    client: AuthServiceClient = request.app.state.auth_client
    return client


SettingsDep = Annotated[ContentSettings, Depends(_settings)]
VectorStoreDep = Annotated[VectorStore, Depends(_vectors)]
AuthClientDep = Annotated[AuthServiceClient, Depends(_auth_client)]
