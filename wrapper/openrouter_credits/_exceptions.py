"""Every error the client raises, and nothing else escapes ``get_credits()``.

    OpenRouterCreditsError
    ├── ConfigurationError          bad key, base URL or option; raised before any I/O
    │   └── OperationUnavailable    the generated client has no such operation (its document lacks it)
    ├── APIConnectionError          refused, reset, DNS, TLS, protocol error (after retries)
    │   └── APITimeoutError         a timeout, or the call's deadline ran out
    ├── APIStatusError              the server answered with a status other than 2xx
    │   ├── AuthenticationError     401
    │   ├── PermissionDeniedError   403, or the 401 of GET /keys to a key that is not a management key
    │   ├── RateLimitError          429
    │   ├── ServerError             5xx
    │   └── UnexpectedStatusError   any other status (1xx, 3xx, 4xx not above, unknown codes)
    │       └── BadRequestError     400: the server refused the request's parameters or body
    ├── ResponseValidationError     a 2xx whose body is not what the schema promises
    └── MalformedBudgetError        a budget layer of a key's answer that is not what OpenRouter documents

Each class says once what kind of failure it is (``kind``): the command line's exit status, the
exporter's ``poll_errors_total{kind}`` and the alerts all read it from there.

Messages are whole sentences that say what to do. None of them, nor any attribute, holds the API
key; every error pickles and unpickles to an equal one. Where a message names a setting it does so in
the caller's own terms: ``str(error)`` says ``base_url``, and ``error.describe(terms)`` lets the
command line say ``--base-url`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ERROR_KINDS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "MalformedBudgetError",
    "OpenRouterCreditsError",
    "OperationUnavailable",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "UnexpectedStatusError",
    "restated",
]


#: How the library names its settings in messages (the keyword arguments of the clients).
LIBRARY_TERMS: Mapping[str, str] = {
    "api_key": "api_key",
    # Where the key in use came from: one of the two, as the reader can set them.
    "key_source": "OPENROUTER_API_KEY or api_key",
    "base_url": "base_url",
    "timeout": "timeout",
    "deadline": "deadline",
    "max_retries": "max_retries",
    "http_client": "http_client",
}


def term(setting: str) -> str:
    """A setting's name inside a message, written in the terms of whoever reads it (see ``describe``)."""
    # NUL, because no sentence of ours holds an unprintable character: a split on NUL finds only these
    # markers, provided text quoted from outside (a server's message) comes without NULs.
    return f"\x00{setting}\x00"


def _in_terms(template: str, terms: Mapping[str, str]) -> str:
    if "\x00" not in template:
        return template
    parts = template.split("\x00")
    return "".join(terms.get(part, part) if i % 2 else part for i, part in enumerate(parts))


def _rebuild(cls: type[OpenRouterCreditsError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


#: Every ``kind`` an error can be, from the caller's side of things to the server's.
ERROR_KINDS = ("configuration", "auth", "permission", "rate_limit", "server", "network", "timeout", "invalid_response")


class OpenRouterCreditsError(Exception):
    """Base class of every error raised by openrouter_credits."""

    #: What kind of failure this is (one of ``ERROR_KINDS``).
    kind = "invalid_response"

    def __init__(self, message: str) -> None:
        self._template = message
        self._notes: tuple[str, ...] = ()
        super().__init__(_in_terms(message, LIBRARY_TERMS))

    def describe(self, terms: Mapping[str, str]) -> str:
        """The message with settings named as ``terms`` names them (``{"base_url": "--base-url"}``)."""
        return _in_terms(self._noted(), {**LIBRARY_TERMS, **terms})

    def _noted(self) -> str:
        return f"{self._template} ({'; '.join(self._notes)})" if self._notes else self._template

    def add_note_to_message(self, note: str) -> None:
        """Add ``note`` to the message (``after 3 attempts``), keeping both renderings in step. The
        notes go in one pair of brackets at the end: ``(request id abc; after 3 attempts)``."""
        self._notes = (*self._notes, note)
        self.args = (_in_terms(self._noted(), LIBRARY_TERMS), *self.args[1:])

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class ConfigurationError(OpenRouterCreditsError, ValueError):
    """The client cannot be used as configured (no key, a bad base URL, a bad option)."""

    kind = "configuration"


class OperationUnavailable(ConfigurationError):
    """The API document the client was generated from has no such operation (``GET /key`` and
    ``GET /activity`` are optional in the selection), so there is nothing to call. ``reason`` is the
    short form ``get_balance()`` gives as the reason its part is unknown."""

    def __init__(self, method: str, path: str) -> None:
        self.reason = f"the API document in use has no {method} {path}"
        super().__init__(
            f"The API document in use has no {method} {path}: openrouter_credits_client was generated without "
            "it. Regenerate it from a document that has it (make update-spec, then make generate)."
        )


class APIConnectionError(OpenRouterCreditsError):
    """No usable answer came back: the connection failed, broke, or spoke no valid HTTP."""

    kind = "network"

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout, or the deadline of the whole call ran out."""

    kind = "timeout"


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


def restated(error: APIStatusError, cls: type[APIStatusError], description: str) -> APIStatusError:
    """``error`` as a ``cls`` saying ``description`` (with its request id), its details kept: the one
    way to say an answer in the caller's words (a refused listing, a key no hash matches)."""
    if error.request_id:
        description += f" (request id {error.request_id})"
    return cls(
        description,
        status_code=error.status_code,
        message=error.message,
        body=error.body,
        request_id=error.request_id,
        retry_after=error.retry_after,
        url=error.url,
    )


class AuthenticationError(APIStatusError):
    """401: the key is missing, unknown, revoked or malformed."""

    kind = "auth"


class PermissionDeniedError(APIStatusError):
    """The key is valid but of the wrong kind: /credits, /activity and /keys need a provisioning
    (management) key. A 403, or the 401 OpenRouter answers ``GET /keys`` with for such a key (saying
    the operation is for management keys; ``status_code`` is what the server sent)."""

    kind = "permission"


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` says how long the server asked to wait, when it did."""

    kind = "rate_limit"


class ServerError(APIStatusError):
    """5xx: OpenRouter failed to answer."""

    kind = "server"


class UnexpectedStatusError(APIStatusError):
    """Any status the API does not document for this endpoint. Redirects are never followed."""

    kind = "invalid_response"


class BadRequestError(UnexpectedStatusError):
    """400: the server refused what was asked (an analytics query with a metric it does not know, or
    a time range longer than the query may span); ``message`` is the server's reason. Never retried."""


class ResponseValidationError(OpenRouterCreditsError):
    """A 2xx response whose body is not the credits object the schema promises."""

    kind = "invalid_response"

    def __init__(self, message: str, *, status_code: int, body: str, request_id: str | None, url: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        self.url = url


class MalformedBudgetError(OpenRouterCreditsError, ValueError):
    """A budget layer of a key's answer (``budgets``, ``effective_budget``) that is not what
    OpenRouter documents, raised by ``KeyInfo.budget_layers`` and ``effective_layer``. ``path`` names
    it in the answer (``data.budgets[1].remaining_usd``), ``problem`` says what is wrong with it.

    ``get_key()`` never returns such a key: it raises a ``ResponseValidationError`` saying the same.
    A ``ValueError`` too, as the properties documented before this class existed."""

    kind = "invalid_response"

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"A budget layer of the key's answer is not what OpenRouter documents: {self.detail}.")

    @property
    def detail(self) -> str:
        """Where and what, as a clause: ``data.budgets[1].remaining_usd is 'ten', not a number of dollars``."""
        return f"{self.path} {self.problem}"
