"""Alerts: which thresholds each key is below, kept across restarts, and the webhook they go to.

A key's threshold alerts once when it is crossed and once when it recovers. The state moves only on
a known figure (an unknown value keeps the last state and sends nothing), and only once the post went
through, so a failed post is tried again at the next poll.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from .._exceptions import ConfigurationError
from .._format import money
from .._logging import register_secret
from .._settings import require_private

if TYPE_CHECKING:
    from .._balance import Balance
    from .._keys_file import KeySpec

__all__ = ["AlertBook", "Webhook", "alerts_due", "check_notify_url", "redact_url"]

logger = logging.getLogger("openrouter_credits.exporter")

#: Where a webhook URL can come from without showing in the process list.
NOTIFY_URL_ENV = "OPENROUTER_CREDITS_NOTIFY_URL"


def redact_url(url: str) -> str:
    """A webhook URL as it may appear in a log: scheme and host only (its path carries the token)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<webhook>"
    return f"{parsed.scheme}://{parsed.host}/…"


def check_notify_url(url: str, name: str = "--notify-url") -> str:
    """The webhook URL, checked: absolute https (plain http only to loopback); ``name`` is its source."""
    register_secret(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ConfigurationError(f"{name} is not a valid URL: it must start with https://.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"{name} must start with https:// (such as https://hooks.slack.com/services/...).")
    require_private(parsed, f"{name} {redact_url(url)}", "its token")
    return url


def _may_spend(value: float) -> str:
    return f"may spend {money(value)}"


def _days_of_credits(value: float) -> str:
    return f"has {value:.1f} days of credits left"


def _days(value: float) -> str:
    return f"{value:g} days"


Check = tuple[str, float | None, float | None, Callable[[float], str], Callable[[float], str]]


def alerts_due(spec: KeySpec, balance: Balance, book: AlertBook) -> list[tuple[str, bool, str]]:
    """The alerts a poll's ``balance`` calls for: (threshold, now below, text), for each threshold
    whose known value has crossed since the state in ``book``."""
    checks: tuple[Check, ...] = (
        ("below", spec.below, balance.spendable, _may_spend, money),
        ("days_below", spec.days_below, balance.days_left, _days_of_credits, _days),
    )
    due = []
    for threshold, limit, value, describe, unit in checks:
        if limit is None or value is None:  # no threshold, or an unknown figure: the state stays
            continue
        below = value < limit
        if below == book.get(spec.name, threshold):
            continue
        if below:
            text = f"OpenRouter key {spec.name} {describe(value)}, below its threshold of {unit(limit)}."
        else:
            text = f"OpenRouter key {spec.name} recovered: it {describe(value)} (threshold {unit(limit)})."
        due.append((threshold, below, text))
    return due


class AlertBook:
    """Which thresholds each key is below, kept in a file so a restart does not alert again."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.state: dict[str, dict[str, bool]] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}
                logger.warning("Alert state in %s was unreadable; starting afresh", path)
            if isinstance(loaded, dict):
                self.state = {
                    str(k): {str(t): b for t, b in v.items() if isinstance(b, bool)}
                    for k, v in loaded.items()
                    if isinstance(v, dict)
                }

    def get(self, key: str, threshold: str) -> bool:
        return self.state.get(key, {}).get(threshold, False)

    def set(self, key: str, threshold: str, below: bool) -> None:
        self.state.setdefault(key, {})[threshold] = below
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(self.state, sort_keys=True))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            logger.warning("Could not keep the alert state in %s: %s", self.path, exc.strerror or exc)


class Webhook:
    """POSTs ``{"text": ...}`` to one URL; the URL (which carries a token) never reaches a log."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        register_secret(url)
        register_secret(httpx.URL(url).path)  # the token is in the path, however the URL is written
        self.url = url
        self._timeout = timeout
        self._http: httpx.AsyncClient | None = None

    async def send(self, text: str) -> bool:
        """True when the receiver took it; False (and a log line without the URL) on failure."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        try:
            response = await self._http.post(self.url, json={"text": text})
        except httpx.HTTPError as exc:
            logger.warning("The webhook at %s could not be reached (%s); trying again at the next poll",
                           redact_url(self.url), type(exc).__name__)  # fmt: skip
            return False
        if not response.is_success:
            logger.warning("The webhook at %s answered HTTP %d; trying again at the next poll",
                           redact_url(self.url), response.status_code)  # fmt: skip
            return False
        logger.info("Alert sent: %s", text)
        return True

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
