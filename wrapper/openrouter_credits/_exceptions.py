"""Every error the client raises, and nothing else escapes ``get_credits()``.

    OpenRouterCreditsError
    ├── ConfigurationError          bad key, base URL or option; raised before any I/O
    ├── APIConnectionError          refused, reset, DNS, TLS, protocol error (after retries)
    │   └── APITimeoutError         a timeout, or the call's deadline ran out
    ├── APIStatusError              the server answered with a status other than 2xx
    │   ├── AuthenticationError     401
    │   ├── PermissionDeniedError   403
    │   ├── RateLimitError          429
    │   ├── ServerError             5xx
    │   └── UnexpectedStatusError   any other status (1xx, 3xx, 4xx not above, unknown codes)
    └── ResponseValidationError     a 2xx whose body is not what the schema promises

Messages are whole sentences that say what to do. None of them, nor any attribute, holds the API
key; every error pickles and unpickles to an equal one.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "OpenRouterCreditsError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "UnexpectedStatusError",
]


def _rebuild(cls: type[OpenRouterCreditsError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class OpenRouterCreditsError(Exception):
    """Base class of every error raised by openrouter_credits."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class ConfigurationError(OpenRouterCreditsError, ValueError):
    """The client cannot be used as configured (no key, a bad base URL, a bad option)."""


class APIConnectionError(OpenRouterCreditsError):
    """No usable answer came back: the connection failed, broke, or spoke no valid HTTP."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout, or the deadline of the whole call ran out."""


class APIStatusError(OpenRouterCreditsError):
    """The server answered with a non-2xx status.

    ``message`` is the server's own ``error.message`` when the body has OpenRouter's error shape,
    else a short excerpt of the body; ``body`` is a bounded excerpt; ``request_id`` comes from the
    response headers when present; ``retry_after`` is the wait in seconds the server asked for.
    """

    def __init__(
        self,
        description: str,
        *,
        status_code: int,
        message: str,
        body: str,
        request_id: str | None,
        retry_after: float | None,
        url: str,
    ) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.message = message
        self.body = body
        self.request_id = request_id
        self.retry_after = retry_after
        self.url = url


class AuthenticationError(APIStatusError):
    """401: the key is missing, unknown, revoked or malformed."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not read credits; /credits needs a provisioning (management) key."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` says how long the server asked to wait, when it did."""


class ServerError(APIStatusError):
    """5xx: OpenRouter failed to answer."""


class UnexpectedStatusError(APIStatusError):
    """Any status the API does not document for this endpoint. Redirects are never followed."""


class ResponseValidationError(OpenRouterCreditsError):
    """A 2xx response whose body is not the credits object the schema promises."""

    def __init__(self, message: str, *, status_code: int, body: str, request_id: str | None, url: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        self.url = url
