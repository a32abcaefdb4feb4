"""The decisions, written once for the sync and async clients: only the send and the sleep differ.

- ``Settings.from_arguments``: check the configuration before any I/O.
- ``read_body`` / ``aread_body``: read a response with the size cap and the deadline.
- ``Call``: one get_credits() call: the timeout of each attempt, what a response or a failure
  means (``Credits`` or a typed error), and whether and how long to wait before the next attempt.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx

from . import _config
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    OpenRouterCreditsError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnexpectedStatusError,
)
from ._models import Credits

logger = logging.getLogger("openrouter_credits")

CREDITS_PATH = "/credits"
NUMBER_FIELDS = ("total_credits", "total_usage")
REDACTED = "[redacted]"


# --- configuration ----------------------------------------------------------------------------


class Secret:
    """Holds the API key; shows up as ``<hidden>`` everywhere."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("the API key is not picklable")


def _check_key(api_key: str | None) -> Secret:
    if api_key is None:
        api_key = os.environ.get(_config.API_KEY_ENV)
        if api_key is None:
            raise ConfigurationError(
                f"No API key: pass api_key= or set {_config.API_KEY_ENV} to a provisioning (management) key."
            )
        source = _config.API_KEY_ENV
    else:
        source = "api_key"
    if not isinstance(api_key, str):
        raise ConfigurationError(f"api_key must be a string, not {type(api_key).__name__}.")
    key = api_key.strip()
    if not key:
        raise ConfigurationError(f"The API key in {source} is blank: set it to a provisioning (management) key.")
    for position, char in enumerate(key, start=1):
        if not ("!" <= char <= "~"):
            raise ConfigurationError(
                f"The API key in {source} has a character that cannot be sent in an HTTP header "
                f"(at position {position}): check that it was copied whole and nothing else."
            )
    return Secret(key)


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _config.LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    import ipaddress  # here, not at the top: only configuration needs it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str) -> str:
    if not isinstance(base_url, str):
        raise ConfigurationError(f"base_url must be a string, not {type(base_url).__name__}.")
    try:
        url = httpx.URL(base_url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ConfigurationError(f"base_url {base_url!r} is not a valid URL ({exc}).") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"base_url {base_url!r} must be an absolute http(s) URL, such as {_config.DEFAULT_BASE_URL!r}."
        )
    if url.userinfo:
        raise ConfigurationError("base_url must not carry a user name or password; the key goes in api_key.")
    if url.query or url.fragment:
        raise ConfigurationError(f"base_url {base_url!r} must not have a query string or fragment.")
    if url.scheme == "http" and not is_loopback(url.host):
        raise ConfigurationError(
            f"base_url {base_url!r} uses plain http to {url.host!r}, which would send the API key "
            "unencrypted: use https (plain http is allowed only to loopback addresses)."
        )
    return str(url).rstrip("/")


def _check_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds, not {value!r}.")
    return float(value)


def _check_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        parts = {"connect": timeout.connect, "read": timeout.read, "write": timeout.write, "pool": timeout.pool}
        for name, value in parts.items():
            if value is not None:
                _check_seconds(f"timeout.{name}", value)
        return timeout
    return httpx.Timeout(_check_seconds("timeout", timeout))


class Settings:
    """A client's checked configuration: built once, read on every call."""

    __slots__ = ("base_url", "deadline", "headers", "key", "longest_timeout", "max_retries", "timeout", "url")

    def __init__(
        self,
        *,
        base_url: str,
        headers: httpx.Headers,
        timeout: httpx.Timeout,
        deadline: float,
        max_retries: int,
        key: Secret,
    ) -> None:
        self.base_url = base_url
        self.url = base_url + CREDITS_PATH
        self.headers = headers
        self.timeout = timeout
        parts = (timeout.connect, timeout.read, timeout.write, timeout.pool)
        # While more than this is left of the deadline, an attempt keeps the configured timeout as is.
        self.longest_timeout = math.inf if None in parts else max(p for p in parts if p is not None)
        self.deadline = deadline
        self.max_retries = max_retries
        self.key = key

    @classmethod
    def from_arguments(
        cls,
        api_key: str | None,
        *,
        base_url: str,
        timeout: float | httpx.Timeout,
        deadline: float,
        max_retries: int,
    ) -> Settings:
        key = _check_key(api_key)
        base = _check_base_url(base_url)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries must be a whole number 0 or more, not {max_retries!r}.")
        headers = httpx.Headers(
            {
                "Authorization": f"Bearer {key.reveal()}",
                "Accept": "application/json",
                "User-Agent": _config.USER_AGENT,
            }
        )
        return cls(
            base_url=base,
            headers=headers,
            timeout=_check_timeout(timeout),
            deadline=_check_seconds("deadline", deadline),
            max_retries=max_retries,
            key=key,
        )

    def __repr__(self) -> str:
        return f"Settings(base_url={self.base_url!r}, max_retries={self.max_retries!r}, deadline={self.deadline!r})"


# --- reading a response -------------------------------------------------------------------------


class Received:
    """What came back for one attempt, its body decoded and read with the size cap.

    The generated endpoint function is handed this in place of an ``httpx.Response``: it reads
    ``status_code``, ``headers``, ``content`` and ``json()``, and a second Response object built
    just to carry the capped body would cost more than the rest of the wrapper's work per call.
    """

    __slots__ = ("_json", "content", "headers", "reason_phrase", "status_code", "truncated")
    _json: Any

    def __init__(
        self, status_code: int, reason_phrase: str, headers: httpx.Headers, content: bytes, truncated: bool
    ) -> None:
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.headers = headers
        self.content = content
        self.truncated = truncated

    def json(self) -> Any:
        """The body parsed as JSON, once: the generated parser (whose ``from_dict`` takes a read-only
        Mapping and copies it) and the wrapper's validation share the result."""
        try:
            return self._json
        except AttributeError:
            self._json = json.loads(self.content)
            return self._json


class _DeadlineReached(httpx.ReadTimeout):
    pass


class _BodyReader:
    """Collects a body chunk by chunk, within the size cap and the call's deadline."""

    __slots__ = ("chunks", "deadline_at", "response", "room", "truncated")

    def __init__(self, response: httpx.Response, deadline_at: float) -> None:
        self.response = response
        self.deadline_at = deadline_at
        self.chunks: list[bytes] = []
        self.room = _config.MAX_RESPONSE_BYTES
        self.truncated = False

    def feed(self, chunk: bytes) -> bool:
        """Take one chunk; True when reading should stop (the cap is passed)."""
        self.chunks.append(chunk[: self.room])
        self.room -= len(chunk)
        if self.room < 0:
            self.truncated = True
            return True
        if time.monotonic() > self.deadline_at:
            raise _DeadlineReached(
                "the call's deadline ran out while reading the response", request=self.response.request
            )
        return False

    def received(self) -> Received:
        response = self.response
        return Received(
            response.status_code, response.reason_phrase, response.headers, b"".join(self.chunks), self.truncated
        )


def read_body(response: httpx.Response, deadline_at: float) -> Received:
    reader = _BodyReader(response, deadline_at)
    try:
        chunks: Iterator[bytes] = response.iter_bytes()
        for chunk in chunks:
            if reader.feed(chunk):
                break
    finally:
        response.close()
    return reader.received()


async def aread_body(response: httpx.Response, deadline_at: float) -> Received:
    reader = _BodyReader(response, deadline_at)
    try:
        chunks: AsyncIterator[bytes] = response.aiter_bytes()
        async for chunk in chunks:
            if reader.feed(chunk):
                break
    finally:
        await response.aclose()
    return reader.received()


# --- what a response means ----------------------------------------------------------------------


def _redact(text: str, key: Secret) -> str:
    return text.replace(key.reveal(), REDACTED)


def _excerpt(content: bytes, limit: int) -> str:
    text = content[: limit * 4].decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "…"


def _request_id(headers: httpx.Headers) -> str | None:
    for name in _config.REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)[:200]
    return None


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or HTTP date)."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            ms = float(value)
        except ValueError:
            ms = math.nan
        if math.isfinite(ms) and ms >= 0:
            return ms / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(seconds, 0.0)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


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
    401: (
        AuthenticationError,
        "OpenRouter did not accept the API key (HTTP 401: {message}). "
        f"Check that {_config.API_KEY_ENV} or api_key holds a current key.",
    ),
    403: (
        PermissionDeniedError,
        "This key may not read credits (HTTP 403: {message}). The credits endpoint needs a provisioning "
        f"(management) key; create one at {_config.MANAGEMENT_KEYS_URL}.",
    ),
    429: (
        RateLimitError,
        "OpenRouter is rate limiting this key (HTTP 429: {message}). Wait{wait} before trying again.",
    ),
}


def status_error(received: Received, settings: Settings) -> APIStatusError:
    code = received.status_code
    server_message = _server_message(received.content)
    if server_message is not None:
        message = " ".join(server_message.split())[: _config.MAX_MESSAGE_EXCERPT]
    else:
        message = " ".join(_excerpt(received.content, _config.MAX_MESSAGE_EXCERPT).split()) or received.reason_phrase
    message = _redact(message, settings.key) or "no message"
    wait = retry_after(received.headers)
    if code in _STATUS_ERRORS:
        cls, template = _STATUS_ERRORS[code]
    elif 500 <= code <= 599:
        cls, template = ServerError, "OpenRouter failed to answer (HTTP {code}: {message}). Try again later."
    else:
        cls = UnexpectedStatusError
        template = "OpenRouter answered with an unexpected status (HTTP {code}: {message}). "
        if 300 <= code <= 399:
            template += "Redirects are not followed, since they would carry the key elsewhere: check base_url."
        else:
            template += "Check base_url; if it is right, report this with the request id."
    request_id = _request_id(received.headers)
    description = template.format(code=code, message=message, wait=f" {wait:g} s" if wait is not None else " a while")
    if request_id:
        description += f" (request id {request_id})"
    return cls(
        description,
        status_code=code,
        message=message,
        body=_redact(_excerpt(received.content, _config.MAX_BODY_EXCERPT), settings.key),
        request_id=request_id,
        retry_after=wait,
        url=settings.url,
    )


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", list: "an array", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _number(data: dict[str, Any], name: str) -> float:
    if name not in data:
        raise ValueError(f"the field 'data.{name}' is missing")
    value = data[name]
    number: float
    if type(value) is float:  # what the JSON parser gives for 25.0
        number = value
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"the field 'data.{name}' is {_kind(value)}, not a number")
    else:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"the field 'data.{name}' is not a finite number ({value!r})")
    return number


def parse_credits(received: Received) -> Credits:
    """Validate a credits body; raise ValueError with a sentence naming the field."""
    try:
        body = received.json()
    except (ValueError, RecursionError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError(f"the body is {_kind(body)}, not a JSON object")
    if "data" not in body:
        raise ValueError("the field 'data' is missing")
    data = body["data"]
    if not isinstance(data, dict):
        raise ValueError(f"the field 'data' is {_kind(data)}, not an object")
    total_credits, total_usage = _number(data, "total_credits"), _number(data, "total_usage")
    extra = {k: v for k, v in data.items() if k not in NUMBER_FIELDS} if len(data) > len(NUMBER_FIELDS) else None
    return Credits(total_credits, total_usage, extra)


def interpret(received: Received, settings: Settings) -> Credits | OpenRouterCreditsError:
    """A response as ``Credits`` or as the error it stands for."""
    if not 200 <= received.status_code <= 299:
        return status_error(received, settings)
    try:
        if received.truncated:
            raise ValueError(f"the body is larger than {_config.MAX_RESPONSE_BYTES} bytes")
        return parse_credits(received)
    except ValueError as exc:
        request_id = _request_id(received.headers)
        message = f"OpenRouter sent HTTP {received.status_code} but {exc}, so no balance could be read."
        message += " Check base_url, or try again later."
        if request_id:
            message += f" (request id {request_id})"
        return ResponseValidationError(
            _redact(message, settings.key),
            status_code=received.status_code,
            body=_redact(_excerpt(received.content, _config.MAX_BODY_EXCERPT), settings.key),
            request_id=request_id,
            url=settings.url,
        )


def transport_error(exc: httpx.HTTPError, settings: Settings) -> APIConnectionError:
    detail = _redact(str(exc) or type(exc).__name__, settings.key)
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the response",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(exc), "waiting for the response")
        if isinstance(exc, _DeadlineReached):
            message = f"The call to {settings.url} ran out of its {settings.deadline:g} s deadline while reading."
        else:
            message = f"Timed out {phase} ({detail}) for {settings.url}."
        return APITimeoutError(message + " Check the network, or raise timeout/deadline.", url=settings.url)
    if isinstance(exc, httpx.ConnectError):
        message = f"Could not connect to {settings.url} ({detail}). Check base_url and the network."
    elif isinstance(exc, httpx.DecodingError):
        message = f"The response from {settings.url} could not be decoded ({detail})."
    else:
        message = f"The connection to {settings.url} failed ({type(exc).__name__}: {detail}). Try again later."
    return APIConnectionError(message, url=settings.url)


# --- one call, attempt by attempt ---------------------------------------------------------------


def backoff(retries_done: int, jitter: float) -> float:
    """Exponential backoff: 0.5 s, 1 s, 2 s, ... up to 8 s, less ``jitter`` (0..1) times a quarter."""
    delay = min(_config.INITIAL_RETRY_DELAY * 2.0**retries_done, _config.MAX_RETRY_DELAY)
    return delay * (1 - 0.25 * jitter)


def retry_delay(
    error: OpenRouterCreditsError, retries_done: int, max_retries: int, time_left: float, jitter: float
) -> float | None:
    """Seconds to wait before the next attempt, or None to raise ``error`` now."""
    if retries_done >= max_retries:
        return None
    if isinstance(error, APIStatusError):
        if error.status_code not in _config.RETRY_STATUSES:
            return None
        if error.retry_after is not None:
            if error.retry_after > _config.MAX_RETRY_AFTER:
                return None
            delay = error.retry_after
        else:
            delay = backoff(retries_done, jitter)
    elif isinstance(error, APIConnectionError):
        delay = backoff(retries_done, jitter)
    else:
        return None
    return delay if delay < time_left else None


class Call:
    """The state of one get_credits() call; the clients do the I/O it asks for."""

    __slots__ = ("attempt", "deadline_at", "settings")

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.deadline_at = time.monotonic() + settings.deadline
        self.attempt = 0

    def next_timeout(self) -> httpx.Timeout:
        """The timeout for the next attempt: the configured one, cut to what is left of the deadline."""
        self.attempt += 1
        left = self.deadline_at - time.monotonic()
        if left <= 0:
            raise APITimeoutError(
                f"The call to {self.settings.url} ran out of its {self.settings.deadline:g} s deadline.",
                url=self.settings.url,
            )
        t = self.settings.timeout
        if left >= self.settings.longest_timeout:
            return t

        def cut(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(connect=cut(t.connect), read=cut(t.read), write=cut(t.write), pool=cut(t.pool))

    def settle(self, received: Received | None, exc: BaseException | None, sent_at: float) -> Credits | float:
        """``Credits``, or the seconds to wait before retrying; raises the error when it is final."""
        error: OpenRouterCreditsError
        if isinstance(exc, httpx.HTTPError):
            error = transport_error(exc, self.settings)
            self._log_attempt(type(exc).__name__, sent_at)
        elif received is None:  # neither an answer nor a network failure: a bug, not the server's doing
            raise exc or RuntimeError("the exchange recorded no response")
        else:
            # The generated parser may have failed on a body the schema does not allow; our own
            # reading of the same bytes says what was wrong.
            self._log_attempt(str(received.status_code), sent_at)
            outcome = interpret(received, self.settings)
            if isinstance(outcome, Credits):
                return outcome
            error = outcome
        import random  # only a failed attempt needs it

        time_left = self.deadline_at - time.monotonic()
        delay = retry_delay(error, self.attempt - 1, self.settings.max_retries, time_left, random.random())
        if delay is None:
            raise error from exc
        logger.warning(
            "Retrying GET %s in %.2f s (attempt %d of %d failed: %s)",
            self.settings.url,
            delay,
            self.attempt,
            self.settings.max_retries + 1,
            error,
        )
        return delay

    def _log_attempt(self, outcome: str, sent_at: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "GET %s -> %s in %.1f ms (attempt %d of %d)",
                self.settings.url,
                outcome,
                (time.monotonic() - sent_at) * 1000,
                self.attempt,
                self.settings.max_retries + 1,
            )
