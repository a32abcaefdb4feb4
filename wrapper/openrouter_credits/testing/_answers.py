"""How the mock answers the API: its endpoints, each request checked as OpenRouter checks it, faults
injected, OpenRouter's own error bodies, the analytics rate limit."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import attrs

from . import _analytics
from ._history import RETIRED_KEY, attributed_hashes, facts
from ._listing import patch_fields
from ._records import DEFAULT_WORKSPACE, ENDPOINTS, KEY_ENDPOINTS, USERS, Fault, row_day, served_date
from ._scenario import Scenario

__all__ = ["JSON_TYPE", "Answer", "Answers", "Scope", "error_body"]

# OpenRouter's own messages.
MANAGEMENT_ONLY = "Only management keys can perform this operation"
ACTIVITY_MANAGEMENT_ONLY = "Only management keys can fetch activity for an account"
UNKNOWN_KEY = "User not found."
RATE_LIMITED = "Rate limit exceeded"
#: The requests a rate-limited key may make per window (X-RateLimit-Limit), and the default window's
#: seconds to reset (X-RateLimit-Reset).
RATE_LIMIT_REQUESTS = 20
RATE_LIMIT_RESET = 60.0
ACTIVITY_PARAMETERS = ("date", "api_key_hash", "user_id", "group_by", "workspace_id")
KEYS_PARAMETERS = ("include_disabled", "offset", "workspace_id")
WORKSPACES_PARAMETERS = ("offset", "limit")
#: ``GET /keys`` answers pages of this many keys.
KEYS_PAGE = 100
#: ``GET /workspaces`` answers pages of ``limit`` workspaces: 50 unless asked, 100 at most.
WORKSPACES_PAGE = 50
WORKSPACES_PAGE_MAX = 100
#: The analytics rate limit's window, in seconds.
ANALYTICS_WINDOW = 60.0
#: A query's body is read up to this many bytes.
MAX_QUERY_BYTES = 1 << 20
#: Fields of a history row that /activity does not send (who spent it), besides workspace_id with group_by.
_ATTRIBUTION = ("api_key_hash", "workspace_id", "user_id", "app_id", "external_user")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Answer = tuple[int, list[tuple[bytes, bytes]], "bytes | Fault"]
JSON_TYPE = [(b"content-type", b"application/json")]


def error_body(code: int, message: str, metadata: dict[str, Any] | None = None) -> bytes:
    """OpenRouter's error shape: ``{"error": {"code": ..., "message": ..., "metadata": ...}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if metadata is not None:
        error["metadata"] = metadata
    return json.dumps({"error": error}).encode()


def _query(scope: Scope, known: tuple[str, ...]) -> dict[str, list[str]] | Answer:
    """The request's query, each parameter one of ``known`` and given once; else the 400 to answer."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    for name, values in query.items():
        if name not in known:
            return 400, JSON_TYPE, error_body(400, f"Unknown query parameter {name[:100]!r}; known: {', '.join(known)}")
        if len(values) > 1:
            return 400, JSON_TYPE, error_body(400, f"The query parameter {name} may be given once")
    return query


class Answers(Scenario):
    """The API side of the mock: one answer per request, from the scenario."""

    async def _api(self, scope: Scope, endpoint: str, receive: Receive, key_hash: str | None = None) -> Answer:
        """One endpoint (``key_hash``: the hash in the path of ``/keys/{hash}``): method, latency, a
        pending fault, the key, then the answer."""
        method = ENDPOINTS[endpoint]
        if scope["method"] != method:
            allowed = ", ".join(KEY_ENDPOINTS) if key_hash is not None else method
            return 405, [*JSON_TYPE, (b"allow", allowed.encode())], error_body(405, "Method Not Allowed")
        body = await _read(receive) if method in ("POST", "PATCH") else b""
        with self._lock:
            faults = self._faults[endpoint]
            fault = faults.popleft() if faults else None
        if self._latency:
            await asyncio.sleep(self._latency)
        if fault is not None:
            return self._faulty(fault)
        token = self._bearer_token(scope)
        if token is None:
            return 401, JSON_TYPE, error_body(401, "No auth credentials found")
        with self._lock:
            view = self._keys.get(token)
            view = None if view is None else view.with_figures(self._key_figures(token))
            balance = self._accounts.get(token)
            data = None if balance is None else attrs.asdict(balance)
            listing = self._listing_now() if endpoint not in ("key", "credits") else []
            rows = None if balance is None else self._activity_now(token)
        if view is None or view.disabled:  # a disabled key's own calls are refused as an unknown key's
            return 401, JSON_TYPE, error_body(401, UNKNOWN_KEY)
        if endpoint == "key":
            return 200, JSON_TYPE, json.dumps({"data": view.data(token, self._clock())}).encode()
        if endpoint == "credits":
            if data is None and self.zero_credits_for_ordinary_keys:
                data = {"total_credits": 0.0, "total_usage": 0.0}
            if data is None:
                return 403, JSON_TYPE, error_body(403, MANAGEMENT_ONLY)
            return 200, JSON_TYPE, json.dumps({"data": data}).encode()
        if endpoint in ("keys", "workspaces", *KEY_ENDPOINTS.values()):
            if balance is None:  # the document gives /keys, /keys/{hash} and /workspaces no 403
                return 401, JSON_TYPE, error_body(401, MANAGEMENT_ONLY)
            if key_hash is not None:
                return self._key_answer(key_hash, body if method == "PATCH" else None)
            if endpoint == "workspaces":
                return self._workspaces_answer(scope)
            return self._keys_answer(scope, listing)
        if endpoint.startswith("analytics/"):
            if balance is None:
                return 403, JSON_TYPE, error_body(403, MANAGEMENT_ONLY)
            return self._analytics_answer(token, endpoint, body, listing)
        if balance is None:
            return 403, JSON_TYPE, error_body(403, ACTIVITY_MANAGEMENT_ONLY)
        assert rows is not None
        return self._activity_answer(scope, rows, listing)

    def _key_answer(self, key_hash: str, body: bytes | None) -> Answer:
        """``GET /keys/{hash}`` (``body`` None) or ``PATCH /keys/{hash}`` with its body: the key as it is
        (after the change); a hash no key has is a 404, a body the document does not allow a 400."""
        if body is not None:
            try:
                request = json.loads(body) if body else None
            except (ValueError, RecursionError):
                return 400, JSON_TYPE, error_body(400, "The request body is not JSON")
            changes = patch_fields(request)
            if isinstance(changes, str):
                return 400, JSON_TYPE, error_body(400, changes)
            key = self.update_listed_key(key_hash, changes)
        else:
            key = self.key_by_hash(key_hash)
        if key is None:
            return 404, JSON_TYPE, error_body(404, f"API key not found: {key_hash[:100]}")
        return 200, JSON_TYPE, json.dumps({"data": key}).encode()

    def _workspaces_answer(self, scope: Scope) -> Answer:
        """``GET /workspaces``: pages of ``limit`` (50 unless asked, at most 100) by ``offset``, with
        ``total_count``; or the refusal of an account without workspaces (``refuse_workspaces``)."""
        refused = self.refuse_workspaces
        if refused is not None:
            message = "Workspaces are not available for this account" if refused == 403 else "Not Found"
            return refused, JSON_TYPE, error_body(refused, message)
        query = _query(scope, WORKSPACES_PARAMETERS)
        if not isinstance(query, dict):
            return query
        offset = _whole(query, "offset", 0, None, nullable=True)
        if not isinstance(offset, int):
            return offset
        limit = _whole(query, "limit", WORKSPACES_PAGE, WORKSPACES_PAGE_MAX, least=1, nullable=False)
        if not isinstance(limit, int):
            return limit
        with self._lock:
            workspaces = list(self._workspaces)
        page = workspaces[offset : offset + limit]
        return 200, JSON_TYPE, json.dumps({"data": page, "total_count": len(workspaces)}).encode()

    def _analytics_answer(self, token: str, endpoint: str, body: bytes, listing: list[dict[str, Any]]) -> Answer:
        """``GET /analytics/meta`` and ``POST /analytics/query`` (see ``_analytics``), within the rate
        limit: ``analytics_rate_limit`` requests a minute per key, then a 429 as OpenRouter sends it
        (X-RateLimit-Limit, -Remaining 0 and -Reset, no Retry-After) until the minute is over."""
        limited = self._rate_limited(token)
        if isinstance(limited, tuple):
            return limited
        headers = [*JSON_TYPE, *limited]
        if endpoint == "analytics/meta":
            return 200, headers, json.dumps({"data": _analytics.meta(self.analytics_dimensions)}).encode()
        try:
            request = json.loads(body) if body else None
        except (ValueError, RecursionError):
            return 400, headers, error_body(400, "The request body is not JSON")
        older, current = self.history(token)
        with self._lock:
            workspaces = {workspace["id"]: workspace["name"] for workspace in self._workspaces}
        names = {str(key["hash"]): str(key["name"]) for key in listing}
        names.setdefault(str(RETIRED_KEY["hash"]), str(RETIRED_KEY["name"]))
        lookups = _analytics.Lookups(names, workspaces, {**USERS, "": ""})
        status, payload = _analytics.query(
            request,
            facts([older, current], listing),
            lookups,
            self._clock(),
            self.analytics_date_format,
            self.analytics_dimensions,
        )
        return status, headers, json.dumps(payload).encode()

    def _rate_limited(self, token: str) -> Answer | list[tuple[bytes, bytes]]:
        """The 429 when ``token`` has used up this minute's analytics requests; else the rate-limit
        headers of the answer, this request counted."""
        limit = self.analytics_rate_limit
        if limit is None:
            return []
        now = self._clock().timestamp()
        with self._lock:
            start, count = self._analytics_calls.get(token, (now, 0))
            if not start <= now < start + ANALYTICS_WINDOW:  # a new minute (or the clock went back)
                start, count = now, 0
            allowed = count < limit
            if allowed:
                count += 1
                self._analytics_calls[token] = (start, count)
        headers = [
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-remaining", str(limit - count).encode()),
            (b"x-ratelimit-reset", str(round((start + ANALYTICS_WINDOW) * 1000)).encode()),
        ]
        if not allowed:
            return 429, [*JSON_TYPE, *headers], error_body(429, RATE_LIMITED, {"error_type": "rate_limit_exceeded"})
        return headers

    def _keys_answer(self, scope: Scope, listing: list[dict[str, Any]]) -> Answer:
        """``GET /keys``: the keys of the workspace ``workspace_id`` (of the default one without it; of
        a workspace the account does not have, none: the document declares no error for it, and its
        answer is the list), pages of 100 by ``offset``; disabled keys only with ``include_disabled=true``."""
        query = _query(scope, KEYS_PARAMETERS)
        if not isinstance(query, dict):
            return query
        text = query.get("offset", [None])[0]
        if text is None or text == "null":  # absent, or the document's null
            offset = 0
        elif not text.isascii() or not text.isdigit():
            return 400, JSON_TYPE, error_body(400, f"offset must be a whole number, 0 or more, not {text[:100]!r}")
        else:
            offset = int(text)
        workspace = query.get("workspace_id", [None])[0]
        if workspace is None:
            workspace = DEFAULT_WORKSPACE
        else:
            try:
                workspace = str(uuid.UUID(workspace))
            except ValueError:
                return 400, JSON_TYPE, error_body(400, f"workspace_id must be a UUID, not {workspace[:100]!r}")
        listing = [key for key in listing if key["workspace_id"] == workspace]
        if query.get("include_disabled", ["false"])[0].strip().lower() not in ("true", "1"):
            listing = [key for key in listing if not key["disabled"]]
        return 200, JSON_TYPE, json.dumps({"data": listing[offset : offset + KEYS_PAGE]}).encode()

    def _activity_answer(self, scope: Scope, rows: list[dict[str, Any]], listing: list[dict[str, Any]]) -> Answer:
        """``GET /activity`` with its query: ``date`` (the rows of that day), ``group_by=workspace``
        (each row with its workspace: its own, else its key's), ``workspace_id`` (the rows of that
        workspace); ``api_key_hash``: the rows of that key (a row's own ``api_key_hash``, else the rows
        are dealt out in turn to the listed keys); ``user_id`` is accepted and filters nothing.
        Dates are written in the mock's ``activity_date_format``."""
        query = _query(scope, ACTIVITY_PARAMETERS)
        if not isinstance(query, dict):
            return query
        keys = {str(key["hash"]): key for key in listing}
        hashes = attributed_hashes(rows, list(keys))
        workspaces = [
            str(row.get("workspace_id") or keys.get(key_hash or "", {}).get("workspace_id") or DEFAULT_WORKSPACE)
            for row, key_hash in zip(rows, hashes, strict=True)
        ]
        chosen = list(zip(rows, hashes, workspaces, strict=True))
        key_hash = query.get("api_key_hash", [None])[0]
        if key_hash is not None:
            chosen = [entry for entry in chosen if entry[1] == key_hash]
        day = query.get("date", [None])[0]
        if day is not None:  # any string, as the document allows: a day without rows gives none
            chosen = [entry for entry in chosen if row_day(entry[0]["date"]) == day]
        group_by = query.get("group_by", [None])[0]
        if group_by not in (None, "workspace"):
            return 400, JSON_TYPE, error_body(400, f"group_by must be 'workspace', not {group_by[:100]!r}")
        workspace = query.get("workspace_id", [None])[0]
        if workspace is not None:
            chosen = [entry for entry in chosen if entry[2] == workspace]
        served = []
        for row, _, row_workspace in chosen:
            out = {k: v for k, v in row.items() if k not in _ATTRIBUTION}
            if group_by == "workspace":
                out["workspace_id"] = row_workspace
            served.append(out)
        form = self.activity_date_format
        if form != "date":
            served = [{**row, "date": served_date(row["date"], form)} for row in served]
        return 200, JSON_TYPE, json.dumps({"data": served}).encode()

    @staticmethod
    def _bearer_token(scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                token = token.strip()
                return token if scheme.lower() == "bearer" and token else None
        return None

    def _faulty(self, fault: Fault) -> Answer:
        if fault.kind == "rate-limit":
            seconds = RATE_LIMIT_RESET if fault.rate_limit_reset is None else fault.rate_limit_reset
            reset_ms = round((self._clock().timestamp() + seconds) * 1000)
            headers = [
                *JSON_TYPE,
                (b"x-ratelimit-limit", str(RATE_LIMIT_REQUESTS).encode()),
                (b"x-ratelimit-remaining", b"0"),
                (b"x-ratelimit-reset", str(reset_ms).encode()),
            ]
            if fault.retry_after is not None:
                headers.append((b"retry-after", f"{fault.retry_after:g}".encode()))
            return 429, headers, error_body(429, RATE_LIMITED, {"error_type": "rate_limit_exceeded"})
        if fault.kind == "status":
            status = fault.status or 500
            headers = list(JSON_TYPE)
            if fault.retry_after is not None:
                headers.append((b"retry-after", f"{fault.retry_after:g}".encode()))
            return status, headers, error_body(status, f"Injected fault: HTTP {status}")
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


async def _read(receive: Receive) -> bytes:
    """A request's body, up to ``MAX_QUERY_BYTES`` (the rest is read and dropped)."""
    body = b""
    while True:
        message = await receive()
        if len(body) <= MAX_QUERY_BYTES:
            body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def _whole(
    query: dict[str, list[str]], name: str, default: int, most: int | None, *, least: int = 0, nullable: bool
) -> int | Answer:
    """A whole-number query parameter (absent, or ``null`` where the document allows it: ``default``),
    else the 400."""
    text = query.get(name, [None])[0]
    if text is None or (nullable and text == "null"):
        return default
    if not text.isascii() or not text.isdigit() or int(text) < least or (most is not None and int(text) > most):
        bounds = f"from {least} to {most}" if most is not None else f"{least} or more"
        return 400, JSON_TYPE, error_body(400, f"{name} must be a whole number {bounds}, not {text[:100]!r}")
    return int(text)
