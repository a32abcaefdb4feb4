"""A client's configuration, checked once before any I/O: the key, the base URL, timeouts, retries."""

from __future__ import annotations

import math
import os
from typing import Any

import httpx

from . import _defaults
from ._exceptions import ConfigurationError, term
from ._logging import register_secret

__all__ = ["Secret", "Settings", "check_base_url", "check_key", "is_loopback", "require_private"]


class Secret:
    """Holds the API key; shows up as ``<hidden>`` everywhere."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)  # and never in a log line of ours

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("the API key is not picklable")


def check_key(key: str, where: str) -> Secret:
    """The key, checked: ``where`` names its source in messages ("The API key in OPENROUTER_API_KEY",
    "--api-key-file: the key file keys/a.key"). The one home of what a key may look like."""
    key = key.removeprefix("\ufeff").strip()
    if not key:
        raise ConfigurationError(f"{where} is blank: it must hold a key (sk-or-v1-...).")
    lines = [line for line in key.splitlines() if line.strip()]
    if len(lines) > 1:
        raise ConfigurationError(f"{where} has {len(lines)} lines; it must hold the key alone (sk-or-v1-...).")
    if key.startswith((f"{_defaults.API_KEY_ENV}=", f"export {_defaults.API_KEY_ENV}=")):
        raise ConfigurationError(
            f"{where} starts with '{_defaults.API_KEY_ENV}=': give the key alone (sk-or-v1-...), "
            "not a shell assignment."
        )
    if key[:7].lower() == "bearer ":
        raise ConfigurationError(
            f"{where} starts with 'Bearer ': give the key alone (sk-or-v1-...); the client adds the 'Bearer' itself."
        )
    for position, char in enumerate(key, start=1):
        if not ("!" <= char <= "~"):
            raise ConfigurationError(
                f"{where} has a character that cannot be sent in an HTTP header "
                f"(at position {position}): check that it was copied whole and nothing else."
            )
    return Secret(key)


def _key_of(api_key: str | None) -> Secret:
    if api_key is None:
        api_key = os.environ.get(_defaults.API_KEY_ENV)
        if api_key is None:
            raise ConfigurationError(
                f"No API key: set {_defaults.API_KEY_ENV} or pass {term('api_key')}, with a provisioning "
                f"(management) key from {_defaults.MANAGEMENT_KEYS_URL}."
            )
        source = _defaults.API_KEY_ENV
    else:
        source = term("api_key")
    if not isinstance(api_key, str):
        raise ConfigurationError(f"{term('api_key')} must be a string, not {type(api_key).__name__}.")
    return check_key(api_key, f"The API key in {source}")


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _defaults.LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    import ipaddress  # here, not at the top: only configuration needs it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_private(url: httpx.URL, name: str, secret: str) -> None:
    """Refuse plain http to anything but loopback: ``name`` is the setting as the reader knows it,
    ``secret`` what the URL's requests carry. The one home of the loopback rule."""
    if url.scheme == "http" and not is_loopback(url.host):
        raise ConfigurationError(
            f"{name} uses plain http to {url.host!r}, which would send {secret} unencrypted: use https "
            "(plain http is allowed only to loopback addresses)."
        )


def check_base_url(base_url: str | None) -> str:
    """The base URL (``None``: ``$OPENROUTER_BASE_URL``, else OpenRouter's), without a trailing slash."""
    name = term("base_url")
    if base_url is None:
        base_url = os.environ.get(_defaults.BASE_URL_ENV) or _defaults.DEFAULT_BASE_URL
        if base_url != _defaults.DEFAULT_BASE_URL:
            name = _defaults.BASE_URL_ENV
    if not isinstance(base_url, str):
        raise ConfigurationError(f"{name} must be a string, not {type(base_url).__name__}.")
    try:
        url = httpx.URL(base_url.strip())
        port = url.port
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{name} {base_url!r} is not a valid URL ({exc}).") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"{name} {base_url!r} must be an absolute http(s) URL, such as {_defaults.DEFAULT_BASE_URL!r}."
        )
    if port is not None and not 1 <= port <= 65535:
        raise ConfigurationError(f"{name} {base_url!r} has port {port}: a port is a number from 1 to 65535.")
    if url.userinfo:
        raise ConfigurationError(
            f"{name} must not carry a user name or password; the key goes in {_defaults.API_KEY_ENV} or "
            f"{term('api_key')}."
        )
    if url.query or url.fragment:
        raise ConfigurationError(f"{name} {base_url!r} must not have a query string or fragment.")
    require_private(url, f"{name} {base_url!r}", "the API key")
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
                _check_seconds(f"{term('timeout')}.{name}", value)
        return timeout
    return httpx.Timeout(_check_seconds(term("timeout"), timeout))


class Settings:
    """A client's checked configuration: built once, read on every call."""

    __slots__ = ("base_url", "deadline", "headers", "key", "longest_timeout", "max_retries", "timeout")

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
        base_url: str | None,
        timeout: float | httpx.Timeout,
        deadline: float,
        max_retries: int,
    ) -> Settings:
        key = _key_of(api_key)
        base = check_base_url(base_url)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"{term('max_retries')} must be a whole number 0 or more, not {max_retries!r}.")
        headers = httpx.Headers(
            {
                "Authorization": f"Bearer {key.reveal()}",
                "Accept": "application/json",
                "User-Agent": _defaults.USER_AGENT,
            }
        )
        return cls(
            base_url=base,
            headers=headers,
            timeout=_check_timeout(timeout),
            deadline=_check_seconds(term("deadline"), deadline),
            max_retries=max_retries,
            key=key,
        )

    def __repr__(self) -> str:
        return f"Settings(base_url={self.base_url!r}, max_retries={self.max_retries!r}, deadline={self.deadline!r})"
