"""PostgreSQL cannot store or compare NUL (U+0000) in text: such input is a 422
``invalid_characters``, never a 500 (found by schemathesis)."""

from __future__ import annotations

import httpx

from tests.auth.helpers import sign_up


async def test_nul_in_text_is_a_clear_422(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    listed = await content_client.get("/api/v1/datasets", params={"owner": "a\x00b"})
    assert listed.status_code == 422, listed.text
    assert listed.json()["error"] == "invalid_characters"
    owner = await sign_up(auth_client)
    made = await content_client.post(
        "/api/v1/datasets", json={"name": "Nul\u0000Name"}, headers=owner.bearer
    )
    assert made.status_code == 422, made.text
    assert made.json()["error"] == "invalid_characters"
    mine = await content_client.get(
        "/api/v1/datasets", params={"owner": owner.user["id"]}, headers=owner.bearer
    )
    assert mine.json()["items"] == []  # nothing was written
