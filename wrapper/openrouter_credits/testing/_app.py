"""MockOpenRouter: a faithful stand-in for OpenRouter's credits endpoint, as a plain ASGI app.

It is written against ASGI directly (no framework): one endpoint and a small control surface, with
byte-level control over the faults it injects (a body cut short, a connection dropped mid-response).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import attrs

from .._settings import is_loopback

__all__ = [
    "DEFAULT_INFERENCE_KEY",
    "DEFAULT_PROVISIONING_KEY",
    "FAULT_KINDS",
    "Balance",
    "Fault",
    "MockOpenRouter",
]

DEFAULT_PROVISIONING_KEY = "sk-or-v1-mock-provisioning"
DEFAULT_INFERENCE_KEY = "sk-or-v1-mock-inference"
CREDITS_PATH = "/api/v1/credits"
CONTROL_PREFIX = "/_mock/"

#: What a fault does to one response of the credits endpoint.
FAULT_KINDS = {
    "status": "answer with the given status (default 500) in OpenRouter's error shape, with Retry-After if given",
    "truncated": "a 200 whose JSON body is cut off mid-object (the length header matches what is sent)",
    "not-json": "a 200 whose body is plain text",
    "html": "an HTML error page, as a proxy in front of the API sends (default status 502)",
    "wrong-types": "a 200 whose numbers are a string and null",
    "drop": "send the headers and part of the body, then drop the connection",
}

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@attrs.define
class Balance:
    """A provisioning key's account: dollars bought and used."""

    total_credits: float
    total_usage: float


@attrs.frozen
class Fault:
    kind: str
    status: int | None = None
    retry_after: float | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status must be 100..599, not {self.status}")
        if self.retry_after is not None and not (math.isfinite(self.retry_after) and self.retry_after >= 0):
            raise ValueError(f"retry_after must be 0 or more seconds, not {self.retry_after}")


class _Dropped(Exception):
    """Raised inside the app to make the server abandon the connection mid-response."""


def _error_body(code: int, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


class MockOpenRouter:
    """The state of a mock OpenRouter (keys, balances, faults) and the ASGI app serving it.

    Provisioning keys have a balance and get it from ``GET /api/v1/credits``; inference keys get
    403; anything else 401. All state changes are safe from any thread while a server runs it.
    """

    def __init__(
        self,
        *,
        provisioning_keys: Mapping[str, tuple[float, float]] | None = None,
        inference_keys: Iterable[str] | None = None,
    ) -> None:
        if provisioning_keys is None:
            provisioning_keys = {DEFAULT_PROVISIONING_KEY: (25.0, 7.5)}
        if inference_keys is None:
            inference_keys = [DEFAULT_INFERENCE_KEY]
        self._lock = threading.Lock()
        self._initial = {key: (float(c), float(u)) for key, (c, u) in provisioning_keys.items()}
        self._balances = {key: Balance(c, u) for key, (c, u) in self._initial.items()}
        self._inference = set(inference_keys)
        self._faults: deque[Fault] = deque()
        self._latency = 0.0
        self._ids = itertools.count(1)
        self._in_flight = 0
        self.requests: list[tuple[str, str, int]] = []
        """(method, path, status) of every API request served, in order (not the /_mock/ ones); never the key."""

    # --- control from Python ------------------------------------------------------------------

    @property
    def provisioning_key(self) -> str:
        """The first provisioning key (the default one unless keys were given)."""
        return next(iter(self._balances))

    @property
    def inference_key(self) -> str:
        return next(iter(self._inference))

    @staticmethod
    def label(key: str) -> str:
        """How the state names a key: stable, distinct per key, and no part of the key itself."""
        import hashlib

        return "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]

    def _key(self, key: str | None) -> str:
        """A provisioning key given by itself or by its label (the first key when None)."""
        if key is None:
            return self.provisioning_key
        if key in self._balances:
            return key
        for known in self._balances:
            if self.label(known) == key:
                return known
        labels = ", ".join(self.label(k) for k in self._balances)
        raise ValueError(f"{key!r} is not a provisioning key of this mock; its keys are labelled {labels}")

    def balance(self, key: str | None = None) -> Balance:
        with self._lock:
            found = self._balances[self._key(key)]
            return Balance(found.total_credits, found.total_usage)

    def set_balance(
        self, key: str | None = None, *, total_credits: float | None = None, total_usage: float | None = None
    ) -> None:
        """Change a provisioning key's balance (the first key's unless named, by key or label); None
        leaves a field as it is."""
        for name, value in (("total_credits", total_credits), ("total_usage", total_usage)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{name} must be a number of dollars, not {value!r}")
        with self._lock:
            balance = self._balances[self._key(key)]
            if total_credits is not None:
                balance.total_credits = float(total_credits)
            if total_usage is not None:
                balance.total_usage = float(total_usage)

    def inject(self, kind: str, *, count: int = 1, status: int | None = None, retry_after: float | None = None) -> None:
        """Make the next ``count`` credits responses faulty (see FAULT_KINDS)."""
        fault = Fault(kind, status, retry_after)
        if count < 1:
            raise ValueError(f"count must be 1 or more, not {count}")
        with self._lock:
            self._faults.extend([fault] * count)

    def fail_next(self, count: int = 1, *, status: int = 500, retry_after: float | None = None) -> None:
        """The next ``count`` credits responses answer ``status`` (429 and 5xx are the usual ones)."""
        self.inject("status", count=count, status=status, retry_after=retry_after)

    @property
    def latency(self) -> float:
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"latency must be 0 or more seconds, not {seconds}")
        self._latency = float(seconds)

    def reset(self) -> None:
        """Back to how it started: the balances it was made with, no pending faults, no latency, and an
        empty request log."""
        with self._lock:
            for key, (total_credits, total_usage) in self._initial.items():
                self._balances[key] = Balance(total_credits, total_usage)
            self._faults.clear()
            self._latency = 0.0
            self.requests.clear()

    @property
    def in_flight(self) -> int:
        """Requests being answered right now (a slow one can outlive the client that sent it)."""
        return self._in_flight

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    # --- ASGI ---------------------------------------------------------------------------------

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
            if path.startswith(CONTROL_PREFIX):
                status, headers, body = await self._control(scope, receive)
            elif path.rstrip("/") == CREDITS_PATH:
                status, headers, body = await self._credits(scope)
            else:
                json_type = [(b"content-type", b"application/json")]
                status, headers, body = 404, json_type, _error_body(404, f"Not Found: {path}")
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

    async def _credits(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes | Fault]:
        json_type = [(b"content-type", b"application/json")]
        if scope["method"] != "GET":
            return 405, [*json_type, (b"allow", b"GET")], _error_body(405, "Method Not Allowed")
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if self._latency:
            await asyncio.sleep(self._latency)
        if fault is not None:
            return self._faulty(fault)
        token = self._bearer_token(scope)
        if token is None:
            return 401, json_type, _error_body(401, "No auth credentials found")
        with self._lock:
            balance = self._balances.get(token)
            data = None if balance is None else attrs.asdict(balance)
        if data is not None:
            return 200, json_type, json.dumps({"data": data}).encode()
        if token in self._inference:
            return 403, json_type, _error_body(403, "Only provisioning keys can fetch credits")
        return 401, json_type, _error_body(401, "Invalid API key")

    @staticmethod
    def _bearer_token(scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                token = token.strip()
                return token if scheme.lower() == "bearer" and token else None
        return None

    @staticmethod
    def _faulty(fault: Fault) -> tuple[int, list[tuple[bytes, bytes]], bytes | Fault]:
        json_type = [(b"content-type", b"application/json")]
        if fault.kind == "status":
            status = fault.status or 500
            headers = list(json_type)
            if fault.retry_after is not None:
                headers.append((b"retry-after", f"{fault.retry_after:g}".encode()))
            return status, headers, _error_body(status, f"Injected fault: HTTP {status}")
        if fault.kind == "truncated":
            return 200, json_type, b'{"data": {"total_credits": 25.0, "total_us'
        if fault.kind == "not-json":
            return 200, [(b"content-type", b"text/plain")], b"OK"
        if fault.kind == "html":
            page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
            return fault.status or 502, [(b"content-type", b"text/html")], page
        if fault.kind == "wrong-types":
            return 200, json_type, b'{"data": {"total_credits": "25.00", "total_usage": null}}'
        return 200, json_type, fault  # drop

    # --- the control endpoint -----------------------------------------------------------------

    async def _control(self, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        json_type = [(b"content-type", b"application/json")]
        client = scope.get("client")
        if client is not None and not is_loopback(str(client[0])):
            return 403, json_type, _error_body(403, "The control endpoint answers loopback clients only")
        action = scope["path"][len(CONTROL_PREFIX) :].strip("/")
        method = scope["method"]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > 65536:
                return 413, json_type, _error_body(413, "Request body too large")
            if not message.get("more_body"):
                break
        try:
            args = json.loads(body) if body else {}
            if not isinstance(args, dict):
                raise TypeError("the body must be a JSON object")
            if method == "GET" and action == "state":
                return 200, json_type, json.dumps(self._state()).encode()
            if method != "POST" or action not in ("balance", "faults", "latency", "reset"):
                return 404, json_type, _error_body(404, f"No control action {method} {scope['path']}")
            if action == "balance":
                self.set_balance(
                    args.get("key"), total_credits=args.get("total_credits"), total_usage=args.get("total_usage")
                )
            elif action == "faults":
                self.inject(
                    _field(args, "kind", str),
                    count=_field(args, "count", int, 1),
                    status=_field(args, "status", int, None),
                    retry_after=_field(args, "retry_after", float, None),
                )
            elif action == "latency":
                self.latency = _field(args, "seconds", float)
            else:
                self.reset()
        except (TypeError, ValueError) as exc:
            return 400, json_type, _error_body(400, f"Bad control request: {exc}.")
        return 200, json_type, json.dumps(self._state()).encode()

    def _state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "balances": {self.label(k): attrs.asdict(b) for k, b in self._balances.items()},
                "pending_faults": [attrs.asdict(f) for f in self._faults],
                "latency": self._latency,
                "requests": len(self.requests),
            }


_MISSING: Any = object()


def _field(args: Mapping[str, Any], name: str, kind: type, default: Any = _MISSING) -> Any:
    """``args[name]`` as a ``kind`` (an int is a float too; a bool is neither), or ``default``."""
    if name not in args or args[name] is None:
        if default is _MISSING:
            raise ValueError(f"the field {name!r} is required")
        return default
    value = args[name]
    number = kind in (int, float) and isinstance(value, int | float) and not isinstance(value, bool)
    if not (number and (kind is float or isinstance(value, int))) and not (kind is str and isinstance(value, str)):
        raise ValueError(f"the field {name!r} must be {'a string' if kind is str else 'a number'}, not {value!r}")
    return kind(value)
