"""A ``stripe.HTTPClient`` that answers from canned JSON and records every request, so the
library's own request encoding, headers (Idempotency-Key, Stripe-Version) and response
parsing run unchanged, with no network."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

Answer = tuple[int, dict[str, Any]]
Responder = Callable[["Recorded"], Answer]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: str

    @property
    def form(self) -> dict[str, str]:
        """The form-encoded body, keys as Stripe encodes them (``line_items[0][price]``)."""
        return dict(parse_qsl(self.body, keep_blank_values=True))

    @property
    def idempotency_key(self) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get("idempotency-key")


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _customer(request: Recorded) -> Answer:
    return 200, {"id": _id("cus"), "object": "customer", "email": request.form.get("email")}


def _checkout(request: Recorded) -> Answer:
    session = _id("cs_test")
    return 200, {
        "id": session,
        "object": "checkout.session",
        "mode": request.form.get("mode"),
        "url": f"https://checkout.stripe.com/c/pay/{session}",
    }


def _portal(request: Recorded) -> Answer:
    return 200, {
        "id": _id("bps"),
        "object": "billing_portal.session",
        "url": "https://billing.stripe.com/p/session/test",
    }


def _transfer(request: Recorded) -> Answer:
    return 200, {
        "id": _id("tr"),
        "object": "transfer",
        "amount": int(request.form["amount"]),
        "destination": request.form["destination"],
    }


def _reversal(request: Recorded) -> Answer:
    return 200, {"id": _id("trr"), "object": "transfer_reversal", "amount": 0}


@dataclass
class FakeStripe(stripe.HTTPClient):
    """Routes by (method, path regex); ``fail_next`` makes the next matching call an error."""

    requests: list[Recorded] = field(default_factory=list)
    routes: list[tuple[str, str, Responder]] = field(default_factory=list)
    # Stripe answers a reused idempotency key with the first response
    seen_keys: dict[str, Answer] = field(default_factory=dict)
    name = "fltr-fake"

    def __post_init__(self) -> None:
        super().__init__()
        self.routes.extend(
            [
                ("post", r"/v1/customers", _customer),
                ("post", r"/v1/checkout/sessions", _checkout),
                ("post", r"/v1/billing_portal/sessions", _portal),
                ("post", r"/v1/transfers/[^/]+/reversals", _reversal),
                ("post", r"/v1/transfers", _transfer),
            ]
        )

    def answer(self, method: str, pattern: str, responder: Responder) -> None:
        """Answer matching requests with ``responder`` (checked before the defaults)."""
        self.routes.insert(0, (method, pattern, responder))

    def calls(self, path_pattern: str) -> list[Recorded]:
        return [r for r in self.requests if re.fullmatch(path_pattern, r.path)]

    def _respond(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any
    ) -> tuple[str, int, dict[str, str]]:
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        recorded = Recorded(method.lower(), urlsplit(url).path, dict(headers or {}), body)
        self.requests.append(recorded)
        key = recorded.idempotency_key
        if key is not None and key in self.seen_keys:
            status, payload = self.seen_keys[key]
        else:
            for route_method, pattern, responder in self.routes:
                if route_method == recorded.method and re.fullmatch(pattern, recorded.path):
                    status, payload = responder(recorded)
                    break
            else:
                status, payload = (
                    404,
                    {"error": {"type": "invalid_request_error", "message": "Unrecognized URL"}},
                )
            if key is not None:
                self.seen_keys[key] = (status, payload)
        return json.dumps(payload), status, {"request-id": _id("req")}

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        return self._respond(method, url, headers, post_data)

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        content, status, response_headers = self._respond(method, url, headers, post_data)
        return content.encode(), status, response_headers

    def close(self) -> None:
        pass

    async def close_async(self) -> None:
        pass


def stripe_error(message: str, param: str | None = None, status: int = 400) -> Responder:
    def respond(request: Recorded) -> Answer:
        error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
        if param:
            error["param"] = param
        return status, {"error": error}

    return respond
