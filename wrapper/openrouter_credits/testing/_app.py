"""MockOpenRouter: a faithful stand-in for OpenRouter's credits, key and activity endpoints, as a
plain ASGI app.

It is written against ASGI directly (no framework): three endpoints and a small control surface, with
byte-level control over the faults it injects (a body cut short, a connection dropped mid-response).
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import json
import math
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

import attrs

from .._settings import is_loopback
from ._state import (
    ENDPOINTS,
    FAULT_KINDS,
    Balance,
    Fault,
    KeyView,
    activity_row,
    default_activity,
    key_label,
    rows_from,
)

__all__ = [
    "DEFAULT_INFERENCE_KEY",
    "DEFAULT_PROVISIONING_KEY",
    "FAULT_KINDS",
    "Balance",
    "Fault",
    "KeyView",
    "MockOpenRouter",
    "activity_row",
]

DEFAULT_PROVISIONING_KEY = "sk-or-v1-mock-provisioning"
DEFAULT_INFERENCE_KEY = "sk-or-v1-mock-inference"
API_PREFIX = "/api/v1/"
CONTROL_PREFIX = "/_mock/"
MANAGEMENT_ONLY = "Only management keys can perform this operation"
ACTIVITY_PARAMETERS = ("date", "api_key_hash", "user_id", "group_by", "workspace_id")
#: The workspace every row of this mock's activity belongs to (``group_by=workspace``).
DEFAULT_WORKSPACE = "00000000-0000-4000-8000-000000000000"

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Answer = tuple[int, list[tuple[bytes, bytes]], "bytes | Fault"]
JSON_TYPE = [(b"content-type", b"application/json")]
_LEAVE: Any = object()


class _Dropped(Exception):
    """Raised inside the app to make the server abandon the connection mid-response."""


def _error_body(code: int, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class MockOpenRouter:
    """The state of a mock OpenRouter (accounts, keys, activity, faults) and the ASGI app serving it.

    Management (provisioning) keys have an account: ``GET /credits`` gives its balance, ``GET /activity``
    its last 30 completed UTC days of spend. Ordinary (inference) keys get 403 from both (or, opted in
    with ``zero_credits_for_ordinary_keys``, a 0/0 answer from ``/credits``, as some real keys do).
    Every known key gets its own view from ``GET /key``; an unknown key gets 401. ``clock`` is the
    mock's idea of now (UTC), which places the default activity. All state changes are safe from any
    thread while a server runs it.
    """

    def __init__(
        self,
        *,
        provisioning_keys: Mapping[str, tuple[float, float]] | None = None,
        inference_keys: Iterable[str] | Mapping[str, float | None] | None = None,
        zero_credits_for_ordinary_keys: bool = False,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        if provisioning_keys is None:
            provisioning_keys = {DEFAULT_PROVISIONING_KEY: (25.0, 7.5)}
        if inference_keys is None:
            inference_keys = [DEFAULT_INFERENCE_KEY]
        limits = dict(inference_keys) if isinstance(inference_keys, Mapping) else dict.fromkeys(inference_keys)
        self._lock = threading.Lock()
        self._clock = clock
        self.zero_credits_for_ordinary_keys = zero_credits_for_ordinary_keys
        accounts = {key: Balance(float(c), float(u)) for key, (c, u) in provisioning_keys.items()}
        keys = {key: KeyView(management=True, usage=balance.total_usage) for key, balance in accounts.items()}
        for key, limit in limits.items():
            usage = 2.5 if limit is None else min(2.5, float(limit))
            keys[key] = KeyView(
                management=False,
                limit=None if limit is None else float(limit),
                usage=usage,
                usage_daily=0.5,
                usage_weekly=1.5,
                usage_monthly=usage,
            )
        #: Activity rows per management key; None: the default month, placed by the clock.
        activity: dict[str, list[dict[str, Any]] | None] = dict.fromkeys(accounts)
        self._initial = (accounts, keys, activity)
        self._accounts, self._keys, self._activity = copy.deepcopy(self._initial)
        self._faults: dict[str, deque[Fault]] = {endpoint: deque() for endpoint in ENDPOINTS}
        self._latency = 0.0
        self._ids = itertools.count(1)
        self._in_flight = 0
        self.requests: list[tuple[str, str, int]] = []
        """(method, path, status) of every API request served, in order (not the /_mock/ ones); never the key."""

    # --- control from Python ------------------------------------------------------------------

    @property
    def provisioning_key(self) -> str:
        """The first management (provisioning) key (the default one unless keys were given)."""
        return next(iter(self._accounts))

    @property
    def inference_key(self) -> str:
        """The first ordinary (inference) key."""
        return next(key for key, view in self._keys.items() if not view.management)

    label = staticmethod(key_label)

    def _key(self, key: str | None, *, management: bool = True) -> str:
        """A key given by itself or by its label (the first management key when None)."""
        if key is None:
            return self.provisioning_key
        known = self._accounts if management else self._keys
        if key in known:
            return key
        for candidate in known:
            if key_label(candidate) == key:
                return candidate
        kind = "management (provisioning) key" if management else "key"
        labels = ", ".join(key_label(k) for k in known)
        raise ValueError(f"{key!r} is not a {kind} of this mock; its keys are labelled {labels}")

    def balance(self, key: str | None = None) -> Balance:
        with self._lock:
            found = self._accounts[self._key(key)]
            return Balance(found.total_credits, found.total_usage)

    def set_balance(
        self, key: str | None = None, *, total_credits: float | None = None, total_usage: float | None = None
    ) -> None:
        """Change a management key's balance (the first key's unless named, by key or label); None
        leaves a field as it is."""
        for name, value in (("total_credits", total_credits), ("total_usage", total_usage)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{name} must be a number of dollars, not {value!r}")
        with self._lock:
            balance = self._accounts[self._key(key)]
            if total_credits is not None:
                balance.total_credits = float(total_credits)
            if total_usage is not None:
                balance.total_usage = float(total_usage)

    def key_view(self, key: str | None = None) -> KeyView:
        """What ``GET /key`` tells ``key`` (by key or label; the first management key when None)."""
        with self._lock:
            return attrs.evolve(self._keys[self._key(key, management=False)])

    def set_key(self, key: str | None = None, **fields: Any) -> None:
        """Change what ``GET /key`` says of a key: ``limit`` (None: no limit), ``usage``,
        ``usage_daily``, ``usage_weekly``, ``usage_monthly``, ``is_free_tier``."""
        allowed = {"limit", "usage", "usage_daily", "usage_weekly", "usage_monthly", "is_free_tier"}
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValueError(f"a key has no field {unknown[0]!r}; its fields are {', '.join(sorted(allowed))}")
        for name, value in fields.items():
            if name == "is_free_tier":
                if not isinstance(value, bool):
                    raise ValueError(f"is_free_tier must be true or false, not {value!r}")
            elif not (value is None and name == "limit"):
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    raise ValueError(f"{name} must be a number of dollars, not {value!r}")
                fields[name] = float(value)
        with self._lock:
            view = self._keys[self._key(key, management=False)]
            for name, value in fields.items():
                setattr(view, name, value)

    def set_activity(
        self, activity: Iterable[Mapping[str, Any]] | Mapping[str, float] | None, key: str | None = None
    ) -> None:
        """Script a management key's ``GET /activity``: rows (each with at least ``date`` and ``usage``;
        see ``activity_row``), or ``{"YYYY-MM-DD": usage}`` for one row a day, or None for the
        default month placed by the clock. Rows are served as given, whatever their dates."""
        rows = None if activity is None else rows_from(activity)
        with self._lock:
            self._activity[self._key(key)] = rows

    def activity(self, key: str | None = None) -> list[dict[str, Any]]:
        """The rows ``GET /activity`` gives a management key now."""
        with self._lock:
            rows = self._activity[self._key(key)]
        return copy.deepcopy(rows) if rows is not None else default_activity(self._clock().date())

    def inject(
        self,
        kind: str,
        *,
        count: int = 1,
        status: int | None = None,
        retry_after: float | None = None,
        endpoint: str = "credits",
    ) -> None:
        """Make the next ``count`` responses of ``endpoint`` (credits, key or activity) faulty (see FAULT_KINDS)."""
        fault = Fault(kind, status, retry_after)
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a whole number, 1 or more, not {count!r}")
        with self._lock:
            self._faults[endpoint].extend([fault] * count)

    def fail_next(
        self, count: int = 1, *, status: int = 500, retry_after: float | None = None, endpoint: str = "credits"
    ) -> None:
        """The next ``count`` responses of ``endpoint`` answer ``status`` (429 and 5xx are the usual ones)."""
        self.inject("status", count=count, status=status, retry_after=retry_after, endpoint=endpoint)

    @property
    def latency(self) -> float:
        """Seconds every API response waits before it is sent."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not (math.isfinite(seconds) and seconds >= 0)
        ):
            raise ValueError(f"latency must be 0 or more seconds, not {seconds!r}")
        self._latency = float(seconds)

    def reset(self) -> None:
        """Back to how it started: the balances, keys and activity it was made with, no pending
        faults, no latency, the 0/0 answer off, and an empty request log."""
        with self._lock:
            self._accounts, self._keys, self._activity = copy.deepcopy(self._initial)
            for faults in self._faults.values():
                faults.clear()
            self._latency = 0.0
            self.zero_credits_for_ordinary_keys = False
            self.requests.clear()

    @property
    def in_flight(self) -> int:
        """Requests being answered right now (a slow one can outlive the client that sent it)."""
        return self._in_flight

    @property
    def pending_faults(self) -> list[Fault]:
        """The faults still to come, for every endpoint."""
        with self._lock:
            return [fault for faults in self._faults.values() for fault in faults]

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
            endpoint = path[len(API_PREFIX) :].rstrip("/") if path.startswith(API_PREFIX) else None
            if path.startswith(CONTROL_PREFIX):
                status, headers, body = await self._control(scope, receive)
            elif endpoint in ENDPOINTS:
                status, headers, body = await self._api(scope, endpoint)
            else:
                status, headers, body = 404, JSON_TYPE, _error_body(404, f"Not Found: {path}")
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

    async def _api(self, scope: Scope, endpoint: str) -> Answer:
        """One of the three endpoints: method, latency, a pending fault, the key, then the answer."""
        if scope["method"] != "GET":
            return 405, [*JSON_TYPE, (b"allow", b"GET")], _error_body(405, "Method Not Allowed")
        with self._lock:
            faults = self._faults[endpoint]
            fault = faults.popleft() if faults else None
        if self._latency:
            await asyncio.sleep(self._latency)
        if fault is not None:
            return self._faulty(fault)
        token = self._bearer_token(scope)
        if token is None:
            return 401, JSON_TYPE, _error_body(401, "No auth credentials found")
        with self._lock:
            view = self._keys.get(token)
            view = None if view is None else attrs.evolve(view)
            balance = self._accounts.get(token)
            data = None if balance is None else attrs.asdict(balance)
            rows = self._activity.get(token)
        if view is None:
            return 401, JSON_TYPE, _error_body(401, "Invalid API key")
        if endpoint == "key":
            return 200, JSON_TYPE, json.dumps({"data": view.data(key_label(token))}).encode()
        if endpoint == "credits":
            if data is None and self.zero_credits_for_ordinary_keys:
                data = {"total_credits": 0.0, "total_usage": 0.0}
            if data is None:
                return 403, JSON_TYPE, _error_body(403, MANAGEMENT_ONLY)
            return 200, JSON_TYPE, json.dumps({"data": data}).encode()
        if balance is None:
            return 403, JSON_TYPE, _error_body(403, MANAGEMENT_ONLY)
        return self._activity_answer(scope, rows)

    def _activity_answer(self, scope: Scope, rows: list[dict[str, Any]] | None) -> Answer:
        """``GET /activity`` with its query: ``date`` (the rows of that day), ``group_by=workspace``,
        ``workspace_id``; ``api_key_hash`` and ``user_id`` are accepted and filter nothing (the mock
        has one member and treats every key's rows as the account's)."""
        today = self._clock().date()
        if rows is None:
            rows = default_activity(today)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        for name, values in query.items():
            if name not in ACTIVITY_PARAMETERS:
                known = ", ".join(ACTIVITY_PARAMETERS)
                return 400, JSON_TYPE, _error_body(400, f"Unknown query parameter {name[:100]!r}; known: {known}")
            if len(values) > 1:
                return 400, JSON_TYPE, _error_body(400, f"The query parameter {name} may be given once")
        day = query.get("date", [None])[0]
        if day is not None:  # any string, as the document allows: a day without rows gives none
            rows = [row for row in rows if row["date"] == day]
        group_by = query.get("group_by", [None])[0]
        if group_by not in (None, "workspace"):
            return 400, JSON_TYPE, _error_body(400, f"group_by must be 'workspace', not {group_by[:100]!r}")
        workspace = query.get("workspace_id", [None])[0]
        if workspace is not None and workspace != DEFAULT_WORKSPACE:
            rows = []
        if group_by == "workspace":
            rows = [{**row, "workspace_id": DEFAULT_WORKSPACE} for row in rows]
        return 200, JSON_TYPE, json.dumps({"data": rows}).encode()

    @staticmethod
    def _bearer_token(scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                token = token.strip()
                return token if scheme.lower() == "bearer" and token else None
        return None

    @staticmethod
    def _faulty(fault: Fault) -> Answer:
        if fault.kind == "status":
            status = fault.status or 500
            headers = list(JSON_TYPE)
            if fault.retry_after is not None:
                headers.append((b"retry-after", f"{fault.retry_after:g}".encode()))
            return status, headers, _error_body(status, f"Injected fault: HTTP {status}")
        if fault.kind == "truncated":
            return 200, JSON_TYPE, b'{"data": {"total_credits": 25.0, "total_us'
        if fault.kind == "not-json":
            return 200, [(b"content-type", b"text/plain")], b"OK"
        if fault.kind == "html":
            page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
            return fault.status or 502, [(b"content-type", b"text/html")], page
        if fault.kind == "wrong-types":
            return 200, JSON_TYPE, b'{"data": {"total_credits": "25.00", "total_usage": null}}'
        return 200, JSON_TYPE, fault  # drop

    # --- the control endpoint -----------------------------------------------------------------

    async def _control(self, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        client = scope.get("client")
        if client is not None and not is_loopback(str(client[0])):
            return 403, JSON_TYPE, _error_body(403, "The control endpoint answers loopback clients only")
        action = scope["path"][len(CONTROL_PREFIX) :].strip("/")
        method = scope["method"]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > 8 << 20:  # room for a heavy month of activity rows
                return 413, JSON_TYPE, _error_body(413, "Request body too large")
            if not message.get("more_body"):
                break
        actions = ("balance", "key", "activity", "faults", "latency", "options", "reset")
        try:
            args = json.loads(body) if body else {}
            if not isinstance(args, dict):
                raise TypeError("the body must be a JSON object")
            if method == "GET" and action == "state":
                return 200, JSON_TYPE, json.dumps(self._state()).encode()
            if method != "POST" or action not in actions:
                return 404, JSON_TYPE, _error_body(404, f"No control action {method} {scope['path']}")
            self._act(action, args)
        except (TypeError, ValueError) as exc:
            return 400, JSON_TYPE, _error_body(400, f"Bad control request: {exc}.")
        return 200, JSON_TYPE, json.dumps(self._state()).encode()

    def _act(self, action: str, args: Mapping[str, Any]) -> None:
        key = _field(args, "key", str, None)
        if action == "balance":
            self.set_balance(key, total_credits=args.get("total_credits"), total_usage=args.get("total_usage"))
        elif action == "key":
            self.set_key(key, **{k: v for k, v in args.items() if k != "key"})
        elif action == "activity":
            if "rows" in args and "daily" in args:
                raise ValueError("give rows or daily, not both")
            if "rows" in args:
                spec = args["rows"]
                if not isinstance(spec, list):
                    raise ValueError("rows must be a list of activity rows")
            else:
                spec = args.get("daily")
                if spec is not None and not isinstance(spec, dict):
                    raise ValueError('daily must be an object such as {"2026-11-20": 1.5}')
            self.set_activity(spec, key)
        elif action == "faults":
            self.inject(
                _field(args, "kind", str),
                count=_field(args, "count", int, 1),
                status=_field(args, "status", int, None),
                retry_after=_field(args, "retry_after", float, None),
                endpoint=_field(args, "endpoint", str, "credits"),
            )
        elif action == "latency":
            self.latency = _field(args, "seconds", float)
        elif action == "options":
            value = args.get("zero_credits_for_ordinary_keys")
            if not isinstance(value, bool):
                raise ValueError("zero_credits_for_ordinary_keys must be true or false")
            self.zero_credits_for_ordinary_keys = value
        else:
            self.reset()

    def _state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "balances": {key_label(k): attrs.asdict(b) for k, b in self._accounts.items()},
                "keys": {
                    key_label(k): {"management": v.management, "limit": v.limit, "usage": v.usage}
                    for k, v in self._keys.items()
                },
                "activity_rows": {
                    key_label(k): None if rows is None else len(rows) for k, rows in self._activity.items()
                },
                "pending_faults": [
                    {"endpoint": endpoint, **attrs.asdict(fault)}
                    for endpoint, faults in self._faults.items()
                    for fault in faults
                ],
                "latency": self._latency,
                "zero_credits_for_ordinary_keys": self.zero_credits_for_ordinary_keys,
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
