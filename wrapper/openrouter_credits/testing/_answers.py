"""How the mock answers the API: the three endpoints, each request checked as OpenRouter checks it,
faults injected, OpenRouter's own error bodies."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import attrs

from ._records import DEFAULT_WORKSPACE, Fault, default_activity, key_label, row_day, served_date
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
#: ``GET /keys`` answers pages of this many keys.
KEYS_PAGE = 100

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

    async def _api(self, scope: Scope, endpoint: str) -> Answer:
        """One of the three endpoints: method, latency, a pending fault, the key, then the answer."""
        if scope["method"] != "GET":
            return 405, [*JSON_TYPE, (b"allow", b"GET")], error_body(405, "Method Not Allowed")
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
            view = None if view is None else attrs.evolve(view)
            balance = self._accounts.get(token)
            data = None if balance is None else attrs.asdict(balance)
            rows = self._activity.get(token)
            listing = self._listing_now()
        if view is None:
            return 401, JSON_TYPE, error_body(401, UNKNOWN_KEY)
        if endpoint == "key":
            return 200, JSON_TYPE, json.dumps({"data": view.data(key_label(token), self._clock())}).encode()
        if endpoint == "credits":
            if data is None and self.zero_credits_for_ordinary_keys:
                data = {"total_credits": 0.0, "total_usage": 0.0}
            if data is None:
                return 403, JSON_TYPE, error_body(403, MANAGEMENT_ONLY)
            return 200, JSON_TYPE, json.dumps({"data": data}).encode()
        if endpoint == "keys":
            if balance is None:  # the document gives /keys no 403
                return 401, JSON_TYPE, error_body(401, MANAGEMENT_ONLY)
            return self._keys_answer(scope, listing)
        if balance is None:
            return 403, JSON_TYPE, error_body(403, ACTIVITY_MANAGEMENT_ONLY)
        return self._activity_answer(scope, rows, [key["hash"] for key in listing])

    def _keys_answer(self, scope: Scope, listing: list[dict[str, Any]]) -> Answer:
        """``GET /keys``: pages of 100 by ``offset``; disabled keys only with ``include_disabled=true``;
        one workspace's with ``workspace_id``."""
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
        if workspace is not None:
            try:
                workspace = str(uuid.UUID(workspace))
            except ValueError:
                return 400, JSON_TYPE, error_body(400, f"workspace_id must be a UUID, not {workspace[:100]!r}")
            listing = [key for key in listing if key["workspace_id"] == workspace]
        if query.get("include_disabled", ["false"])[0].strip().lower() not in ("true", "1"):
            listing = [key for key in listing if not key["disabled"]]
        return 200, JSON_TYPE, json.dumps({"data": listing[offset : offset + KEYS_PAGE]}).encode()

    def _activity_answer(self, scope: Scope, rows: list[dict[str, Any]] | None, hashes: list[str]) -> Answer:
        """``GET /activity`` with its query: ``date`` (the rows of that day), ``group_by=workspace``,
        ``workspace_id``; ``api_key_hash``: the rows of that key (a row's own ``api_key_hash``, else
        the rows are dealt out in turn to the listed keys); ``user_id`` is accepted and filters
        nothing (the mock has one member). Dates are written in the mock's ``activity_date_format``."""
        today = self._clock().date()
        if rows is None:
            rows = default_activity(today)
        query = _query(scope, ACTIVITY_PARAMETERS)
        if not isinstance(query, dict):
            return query
        key_hash = query.get("api_key_hash", [None])[0]
        if key_hash is not None:
            rows = [
                row
                for index, row in enumerate(rows)
                if row.get("api_key_hash", hashes[index % len(hashes)] if hashes else None) == key_hash
            ]
        rows = [{k: v for k, v in row.items() if k != "api_key_hash"} for row in rows]
        day = query.get("date", [None])[0]
        if day is not None:  # any string, as the document allows: a day without rows gives none
            rows = [row for row in rows if row_day(row["date"]) == day]
        group_by = query.get("group_by", [None])[0]
        if group_by not in (None, "workspace"):
            return 400, JSON_TYPE, error_body(400, f"group_by must be 'workspace', not {group_by[:100]!r}")
        workspace = query.get("workspace_id", [None])[0]
        if workspace is not None and workspace != DEFAULT_WORKSPACE:
            rows = []
        if group_by == "workspace":
            rows = [{**row, "workspace_id": DEFAULT_WORKSPACE} for row in rows]
        form = self.activity_date_format
        if form != "date":
            rows = [{**row, "date": served_date(row["date"], form)} for row in rows]
        return 200, JSON_TYPE, json.dumps({"data": rows}).encode()

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
