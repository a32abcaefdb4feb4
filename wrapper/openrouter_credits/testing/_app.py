"""MockOpenRouter: a faithful stand-in for OpenRouter's credits, key, activity, keys, workspaces and
analytics endpoints, as a plain ASGI app.

It is written against ASGI directly (no framework): a few endpoints and a small control surface, with
byte-level control over the faults it injects (a body cut short, a connection dropped mid-response).
The scenario is in ``_scenario``, the API's answers in ``_answers``, the control API in ``_control``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ._answers import JSON_TYPE, Receive, Scope, error_body
from ._control import CONTROL_PREFIX, Controlled
from ._records import ENDPOINTS, KEY_ENDPOINTS, Fault

__all__ = ["MockOpenRouter"]

API_PREFIX = "/api/v1/"

Send = Callable[[dict[str, Any]], Awaitable[None]]


class _Dropped(Exception):
    """Raised inside the app to make the server abandon the connection mid-response."""


class MockOpenRouter(Controlled):
    """The state of a mock OpenRouter (accounts, keys, activity, faults) and the ASGI app serving it.

    Management (provisioning) keys have an account: ``GET /credits`` gives its balance, ``GET /activity``
    its last 30 completed UTC days of spend. Ordinary (inference) keys get 403 from both (or, opted in
    with ``zero_credits_for_ordinary_keys``, a 0/0 answer from ``/credits``, as some real keys do).
    Every known key gets its own view from ``GET /key`` (a management key's own usage is 0, as on
    OpenRouter: it cannot call models); an unknown key gets 401, ``User not found.``.
    ``activity_date_format`` is how ``/activity`` writes dates: ``date`` (YYYY-MM-DD, as the document
    says), ``datetime`` (YYYY-MM-DD HH:MM:SS, as the live API does) or ``rfc3339``. ``clock`` is the
    mock's idea of now (UTC), which places the default activity and the X-RateLimit-Reset of a
    rate-limit fault. All state changes are safe from any thread while a server runs it.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        method = scope["method"]
        body: bytes | Fault
        with self._lock:
            self._in_flight += 1
        try:
            endpoint = path[len(API_PREFIX) :].rstrip("/") if path.startswith(API_PREFIX) else None
            key_hash = None
            if endpoint is not None and endpoint.startswith("keys/") and "/" not in endpoint[5:]:
                key_hash = endpoint[5:]  # GET or PATCH /keys/{hash}
                endpoint = KEY_ENDPOINTS.get(method, KEY_ENDPOINTS["GET"])
            if path.startswith(CONTROL_PREFIX):
                status, headers, body = await self._control(scope, receive)
            elif endpoint in ENDPOINTS:
                status, headers, body = await self._api(scope, endpoint, receive, key_hash)
            else:
                status, headers, body = 404, JSON_TYPE, error_body(404, f"Not Found: {path}")
            if not path.startswith(CONTROL_PREFIX):
                with self._lock:
                    self.requests.append((method, path, status))
            await self._respond(send, status, headers, body)
        finally:
            with self._lock:
                self._in_flight -= 1

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _respond(self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes | Fault) -> None:
        request_id = f"mock-{next(self._ids):08d}".encode()
        base = [(b"x-request-id", request_id)]
        if isinstance(body, Fault):  # drop: promise a body, send part of it, then abandon the connection
            await send({"type": "http.response.start", "status": 200, "headers": [*base, *headers]})
            await send({"type": "http.response.body", "body": b'{"data": {"total_cre', "more_body": True})
            raise _Dropped("connection dropped on purpose (fault 'drop')")
        all_headers = [*base, *headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": all_headers})
        await send({"type": "http.response.body", "body": body})
