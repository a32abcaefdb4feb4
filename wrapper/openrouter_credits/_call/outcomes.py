"""What a response or a network failure means: the typed error it stands for, in a whole sentence.

Every message goes through ``_redact``: a key the server quotes back shows as ``[redacted]``. What the
server wrote (its message, a request id) is quoted ``printable``: its control characters (ESC, BEL,
NUL: ``term()``'s markers) as escapes, so an error is one line that no terminal acts on.
"""

from __future__ import annotations

import html
import json
import math
import re
import time
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from .. import _defaults
from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnexpectedStatusError,
    term,
)
from .._settings import Secret, Settings
from .._text import printable
from .body import DeadlineReached, Received
from .operations import Operation

__all__ = ["Target", "retry_after", "status_error", "transport_error", "validation_error"]


class Target(Protocol):
    """What an error message names: the operation, its URL, and the settings (for redaction)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def url(self) -> str: ...

    @property
    def operation(self) -> Operation[Any]: ...


REDACTED = "[redacted]"


def _redact(text: str, key: Secret) -> str:
    secret = key.reveal()
    return text.replace(secret, REDACTED) if len(secret) >= _defaults.MIN_REDACTED_KEY_LENGTH else text


def _excerpt(content: bytes, limit: int) -> str:
    text = content[: limit * 4].decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "…"


def _request_id(headers: httpx.Headers, key: Secret) -> str | None:
    """The response's request id (a header the server could fill with anything: the key is redacted)."""
    for name in _defaults.REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return printable(_redact(str(value), key)[:200])
    return None


def _seconds_until(moment: float, now: float | None) -> float:
    return moment - (time.time() if now is None else now)


def retry_after(headers: Mapping[str, str], now: float | None = None, *, rate_limited: bool = False) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or HTTP date),
    else, for a 429 (``rate_limited``), until ``X-RateLimit-Reset`` (milliseconds since the epoch).

    ``now`` is the time (seconds since the epoch) the dates are measured from: the clock's unless given.
    A reset that is not in the future says nothing (the backoff applies); nor does garbage.
    """
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            ms = float(value)
        except ValueError:
            ms = math.nan
        if math.isfinite(ms) and ms >= 0:
            return ms / 1000
    value = headers.get("retry-after")
    if value is not None:
        try:
            seconds = float(value)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None and when.tzinfo is not None:
                return max(_seconds_until(when.timestamp(), now), 0.0)
        else:
            if math.isfinite(seconds) and seconds >= 0:
                return seconds
    value = headers.get("x-ratelimit-reset")
    if not rate_limited or value is None:
        return None
    try:
        reset_ms = float(value)
    except ValueError:
        return None
    if not math.isfinite(reset_ms):
        return None
    wait = _seconds_until(reset_ms / 1000, now)
    return wait if wait > 0 else None


def _wait_text(wait: float | None) -> str:
    """`` 1.5 s`` (rounded up to a tenth, so that waiting what it says is always enough), `` a while``."""
    if wait is None:
        return " a while"
    return f" {math.ceil(round(wait * 10, 6)) / 10:g} s"


#: The start of an HTML page (a proxy's or a load balancer's error page, not OpenRouter's JSON).
_HTML = re.compile(rb"\s*<(!doctype\s+html|html|head|body|title)\b", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)
#: An HTML page without a title is said by the start of its text, this many characters.
HTML_EXCERPT = 80


def _page_text(received: Received) -> str | None:
    """What an HTML error page says, in a few words: its ``<title>`` (without a leading status code,
    which the message gives already), else the start of its text; None when the body is not HTML."""
    content = received.content
    html_type = "text/html" in received.headers.get("content-type", "").lower()
    if not (html_type or _HTML.match(content)):
        return None
    title = _TITLE.search(content)
    raw = title.group(1) if title else _TAG.sub(b" ", content)
    text = " ".join(html.unescape(raw.decode("utf-8", "replace")).split())
    if title:
        text = text.removeprefix(f"{received.status_code} ").strip()
    return text if len(text) <= HTML_EXCERPT else text[:HTML_EXCERPT].rstrip() + "…"


def _in_brackets(message: str) -> str:
    """A message for ``(HTTP 401: ...).``: without its own full stop, which the sentence ends with."""
    return message.rstrip(" .") or message


def _server_message(content: bytes) -> str | None:
    """``error.message`` from OpenRouter's error shape ``{"error": {"code": ..., "message": ...}}``."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message.strip() else None


_STATUS_ERRORS: dict[int, tuple[type[APIStatusError], str]] = {
    400: (
        BadRequestError,
        "OpenRouter refused the request for {what} (HTTP 400: {message}). Change what was asked, as the "
        "message says; the same request would be refused again.",
    ),
    401: (
        AuthenticationError,
        "OpenRouter did not accept the API key (HTTP 401: {message}). "
        f"Check that {term('key_source')} holds a current key.",
    ),
    403: (
        PermissionDeniedError,
        "This key may not read {what} (HTTP 403: {message}). That needs a provisioning (management) key; "
        f"create one at {_defaults.MANAGEMENT_KEYS_URL}.",
    ),
    429: (
        RateLimitError,
        "OpenRouter is rate limiting this key (HTTP 429: {message}). Wait{wait} before trying again.",
    ),
}


def status_error(received: Received, target: Target) -> APIStatusError:
    code = received.status_code
    server_message = _server_message(received.content)
    page = None if server_message is not None else _page_text(received)
    if server_message is not None:
        message = " ".join(server_message.split())[: _defaults.MAX_MESSAGE_EXCERPT]
    elif page:
        message = page
    else:
        message = " ".join(_excerpt(received.content, _defaults.MAX_MESSAGE_EXCERPT).split()) or received.reason_phrase
    settings = target.settings
    message = printable(_redact(message, settings.key)) or "no message"
    wait = retry_after(received.headers, rate_limited=code == 429)
    if code in _STATUS_ERRORS:
        cls, template = _STATUS_ERRORS[code]
    elif 500 <= code <= 599:
        cls, template = ServerError, "OpenRouter failed to answer (HTTP {code}: {message}). Try again later."
    else:
        cls = UnexpectedStatusError
        template = "OpenRouter answered with an unexpected status (HTTP {code}: {message}). "
        if 300 <= code <= 399:
            template += (
                f"Redirects are not followed, since they would carry the key elsewhere: check {term('base_url')}."
            )
        elif code == 404 and not urlsplit(target.settings.base_url).path.rstrip("/").endswith("/api/v1"):
            template += f"Check {term('base_url')}: OpenRouter's API is under /api/v1 ({_defaults.DEFAULT_BASE_URL})."
        else:
            template += f"Check {term('base_url')}; if it is right, report this with the request id."
    request_id = _request_id(received.headers, target.settings.key)
    shown = _in_brackets(message)
    description = template.format(code=code, message=shown, wait=_wait_text(wait), what=target.operation.what)
    error = cls(
        description,
        status_code=code,
        message=message,
        body=_redact(_excerpt(received.content, _defaults.MAX_BODY_EXCERPT), settings.key),
        request_id=request_id,
        retry_after=wait,
        url=target.url,
    )
    if request_id:
        error.add_note_to_message(f"request id {request_id}")
    return error


def validation_error(received: Received, target: Target, problem: str) -> ResponseValidationError:
    """A 2xx whose body is not what the API document declares: ``problem`` says where and what."""
    request_id = _request_id(received.headers, target.settings.key)
    message = (
        f"OpenRouter sent HTTP {received.status_code} for {target.operation.what} but {problem}. "
        f"Check {term('base_url')}, or try again later."
    )
    error = ResponseValidationError(
        _redact(message, target.settings.key),
        status_code=received.status_code,
        body=_redact(_excerpt(received.content, _defaults.MAX_BODY_EXCERPT), target.settings.key),
        request_id=request_id,
        url=target.url,
    )
    if request_id:
        error.add_note_to_message(f"request id {request_id}")
    return error


def transport_error(exc: httpx.HTTPError, target: Target) -> APIConnectionError:
    settings = target.settings
    detail = _redact(str(exc) or type(exc).__name__, settings.key)
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting to",
            httpx.ReadTimeout: "waiting for the response from",
            httpx.WriteTimeout: "sending the request to",
            httpx.PoolTimeout: "waiting for a free connection to",
        }.get(type(exc), "waiting for the response from")
        # httpx's own words ("timed out") say again what the sentence says: kept only when they add to it.
        said = "timed out" in detail.lower() or "timeout" in detail.lower() or detail == type(exc).__name__
        if isinstance(exc, DeadlineReached):
            message = f"The call to {target.url} ran out of its {settings.deadline:g} s deadline while reading."
        else:
            message = f"Timed out {phase} {target.url}{'' if said else f' ({detail})'}."
        advice = f" Check the network, or raise {term('timeout')} or {term('deadline')}."
        return APITimeoutError(message + advice, url=target.url)
    if isinstance(exc, httpx.ConnectError):
        message = f"Could not connect to {target.url} ({detail}). Check {term('base_url')} and the network."
    elif isinstance(exc, httpx.DecodingError):
        message = f"The response from {target.url} could not be decoded ({detail})."
    else:
        message = f"The connection to {target.url} failed ({type(exc).__name__}: {detail}). Try again later."
    return APIConnectionError(message, url=target.url)
