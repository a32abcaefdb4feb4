"""``openrouter-credits serve``: a Prometheus exporter for several keys, with alerts.

- Each key is polled by a task of its own every ``interval`` seconds (jittered, so keys do not poll
  in lockstep; a 429's Retry-After makes the next poll wait longer); ``/credits`` and ``/key`` each
  poll, ``/activity`` (which changes once a day) at most every 15 minutes.
- ``GET /metrics`` answers from the last polls, never by calling OpenRouter: the text is rendered once
  per poll and served as is. ``GET /healthz`` is 200 when every key's last poll succeeded within three
  intervals, else 503 naming the failing keys.
- A failed poll: ``up`` 0, the balance series gone (never 0, never stale numbers), the last success
  time kept, ``poll_errors_total{key, kind}`` counted.
- Alerts: a JSON ``{"text": ...}`` post to ``--notify-url`` once when a key crosses below a threshold
  and once when it recovers; the state is kept in a small file, so a restart does not repeat them.

Keys and webhook URLs carry secrets: neither appears in metrics, logs, /healthz or errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs
import httpx

from ._balance import Activity, Balance, api_errors, combine
from ._client import AsyncCreditsClient
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    OpenRouterCreditsError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from ._http import MAX_REQUEST_BYTES, serve_connection
from ._keys import KeySpec
from ._render import Family, balance_metrics, exposition, merge_families, money

__all__ = ["DEFAULT_LISTEN", "Exporter", "redact_url"]

if TYPE_CHECKING:
    from ._key import KeyInfo
    from ._models import Credits

logger = logging.getLogger("openrouter_credits.exporter")

DEFAULT_PORT = 9877
DEFAULT_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"
ACTIVITY_INTERVAL = 15 * 60.0
JITTER = 0.1
#: The first polls of the keys are spread over this many seconds (or the interval, if shorter).
FIRST_POLL_SPREAD = 2.0
STALE_INTERVALS = 3
ERROR_KINDS = ("auth", "permission", "rate_limit", "server", "network", "timeout", "invalid_response")


def error_kind(error: OpenRouterCreditsError) -> str:
    """How poll_errors_total counts a failure."""
    if isinstance(error, AuthenticationError):
        return "auth"
    if isinstance(error, PermissionDeniedError):
        return "permission"
    if isinstance(error, RateLimitError):
        return "rate_limit"
    if isinstance(error, APITimeoutError):
        return "timeout"
    if isinstance(error, APIConnectionError):
        return "network"
    if isinstance(error, ServerError):
        return "server"
    return "invalid_response"  # an invalid body, or a status the API does not document


def _may_spend(value: float) -> str:
    return f"may spend {money(value)}"


def _days_of_credits(value: float) -> str:
    return f"has {value:.1f} days of credits left"


def _days(value: float) -> str:
    return f"{value:g} days"


def redact_url(url: str) -> str:
    """A webhook URL as it may appear in a log: scheme and host only (its path carries the token)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<webhook>"
    return f"{parsed.scheme}://{parsed.host}/…"


@attrs.define
class KeyState:
    """What the exporter knows of one key, between polls."""

    spec: KeySpec
    balance: Balance | None = None
    up: bool = False
    polled: bool = False
    last_success: float | None = None
    failing_since: float | None = None
    activity: Activity | None = None
    activity_error: OpenRouterCreditsError | None = None
    activity_at: float = -1e18
    errors: dict[str, int] = attrs.Factory(lambda: dict.fromkeys(ERROR_KINDS, 0))
    problem: str | None = None


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
                    str(k): {str(t): bool(b) for t, b in v.items()} for k, v in loaded.items() if isinstance(v, dict)
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
            temporary.write_text(json.dumps(self.state, sort_keys=True), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            logger.warning("Could not keep the alert state in %s: %s", self.path, exc.strerror or exc)


class Exporter:
    """Polls each key and serves what it learnt; ``run()`` until ``stop()``."""

    def __init__(
        self,
        keys: Sequence[KeySpec],
        *,
        interval: float = 60.0,
        base_url: str | None = None,
        timeout: float | None = None,
        deadline: float = 30.0,
        max_retries: int = 2,
        notify_url: str | None = None,
        state_dir: Path | None = None,
        activity_interval: float = ACTIVITY_INTERVAL,
    ) -> None:
        self.interval = interval
        self.activity_interval = max(activity_interval, interval)
        self.notify_url = notify_url
        self.states = {spec.name: KeyState(spec) for spec in keys}
        options: dict[str, Any] = {"base_url": base_url, "deadline": deadline, "max_retries": max_retries}
        if timeout is not None:
            options["timeout"] = timeout
        self.clients = {spec.name: AsyncCreditsClient(spec.api_key, **options) for spec in keys}
        self.alerts = AlertBook(None if state_dir is None else state_dir / "alerts.json")
        self._metrics = b""
        self._stop = asyncio.Event()
        self._http: httpx.AsyncClient | None = None
        self.render()

    # --- polling --------------------------------------------------------------------------------

    async def poll(self, name: str) -> float:
        """Poll one key once; the seconds a Retry-After asks the next poll to wait (0 if none)."""
        state = self.states[name]
        client = self.clients[name]
        now = time.monotonic()
        calls: dict[str, Any] = {"credits": client.get_credits(), "key": client.get_key()}
        if now - state.activity_at >= self.activity_interval:  # at most every 15 minutes, answered or not
            calls["activity"] = client.get_activity()
            state.activity_at = now
        results = await asyncio.gather(*calls.values(), return_exceptions=True)
        outcomes = dict(zip(calls, results, strict=True))
        errors = api_errors(outcomes)
        if "activity" in outcomes:
            # Unknown after a failure: never an old month passed off as current. The error is kept,
            # so the reason stays right on the polls that do not ask /activity again.
            state.activity_error = errors.get("activity")
            state.activity = None if state.activity_error else cast(Activity, outcomes["activity"])
        # The poll fails as a whole on a 401 (the key is not accepted), or when neither /credits nor
        # /key answered (nothing current to show); otherwise what did answer is shown.
        cause: OpenRouterCreditsError | None = next(
            (e for e in errors.values() if isinstance(e, AuthenticationError)), None
        )
        if cause is None and {"credits", "key"} <= set(errors):
            cause = errors["key"]
        for error in errors.values():
            if not isinstance(error, PermissionDeniedError) or cause is not None:
                state.errors[error_kind(error)] += 1
        state.polled = True
        if cause is not None:
            self._failed(state, cause)
        else:
            known = {**errors, "activity": state.activity_error} if state.activity_error else errors
            balance = combine(
                None if "credits" in errors else cast("Credits", outcomes["credits"]),
                None if "key" in errors else cast("KeyInfo", outcomes["key"]),
                state.activity,
                known,
            )
            self._succeeded(state, balance)
            await self.check_alerts(state)
        self.render()
        waits = [e.retry_after for e in errors.values() if isinstance(e, RateLimitError) and e.retry_after]
        return max(waits, default=0.0)

    def _failed(self, state: KeyState, error: OpenRouterCreditsError) -> None:
        state.balance = None
        state.up = False
        state.problem = f"{error_kind(error)}: {error}"
        if state.failing_since is None:
            state.failing_since = time.time()
            logger.info("Key %s: the poll failed (%s): %s", state.spec.name, error_kind(error), error)
        else:
            logger.debug("Key %s: the poll failed again: %s", state.spec.name, error)

    def _succeeded(self, state: KeyState, balance: Balance) -> None:
        if state.failing_since is not None:
            logger.info("Key %s: polls succeed again", state.spec.name)
        state.balance = balance
        state.up = True
        state.problem = None
        state.failing_since = None
        state.last_success = time.time()

    async def _poll_forever(self, name: str) -> None:
        await self._sleep(random.uniform(0, min(self.interval, FIRST_POLL_SPREAD)))  # keys start apart too
        while not self._stop.is_set():
            try:
                extra = await self.poll(name)
            except Exception:  # a bug, not the server's doing: log it, keep the other keys going
                logger.exception("Key %s: the poll raised unexpectedly", name)
                extra = 0.0
            wait = max(self.interval * random.uniform(1 - JITTER, 1 + JITTER), extra)
            await self._sleep(wait)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    # --- alerts ---------------------------------------------------------------------------------

    async def check_alerts(self, state: KeyState) -> None:
        """Post once per crossing of a threshold, and once per recovery; a failed post is tried again
        at the next poll (the recorded state changes only when the post went through)."""
        balance, spec = state.balance, state.spec
        if balance is None or self.notify_url is None:
            return
        checks: tuple[tuple[str, float | None, float | None, Callable[[float], str], Callable[[float], str]], ...] = (
            ("below", spec.below, balance.spendable, _may_spend, money),
            ("days_below", spec.days_below, balance.days_left, _days_of_credits, _days),
        )
        for threshold, limit, value, describe, unit in checks:
            if limit is None or value is None:
                continue
            below = value < limit
            if below == self.alerts.get(spec.name, threshold):
                continue
            if below:
                text = f"OpenRouter key {spec.name} {describe(value)}, below its threshold of {unit(limit)}."
            else:
                text = f"OpenRouter key {spec.name} recovered: it {describe(value)} (threshold {unit(limit)})."
            if await self.notify(text):
                self.alerts.set(spec.name, threshold, below)

    async def notify(self, text: str) -> bool:
        """POST ``{"text": text}`` to the webhook; False (and a log line without the URL) on failure."""
        assert self.notify_url is not None
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        try:
            response = await self._http.post(self.notify_url, json={"text": text})
        except httpx.HTTPError as exc:
            logger.warning("The webhook at %s could not be reached (%s); trying again at the next poll",
                           redact_url(self.notify_url), type(exc).__name__)  # fmt: skip
            return False
        if not response.is_success:
            logger.warning("The webhook at %s answered HTTP %d; trying again at the next poll",
                           redact_url(self.notify_url), response.status_code)  # fmt: skip
            return False
        logger.info("Alert sent: %s", text)
        return True

    # --- serving --------------------------------------------------------------------------------

    def families(self) -> list[Family]:
        """Every key's gauges, labelled ``key``, and the poll error counters."""
        groups = [
            balance_metrics(
                state.balance,
                {"key": name},
                up=state.up,
                last_success=None if state.last_success is None else round(state.last_success, 3),
            )
            for name, state in self.states.items()
        ]
        errors = [
            ({"key": name, "kind": kind}, float(count))
            for name, state in self.states.items()
            for kind, count in state.errors.items()
        ]
        counter = Family(
            "openrouter_credits_poll_errors_total",
            "Failed calls to OpenRouter while polling, by key and kind of failure.",
            "counter",
            errors,
        )
        return [*merge_families(groups), counter]

    def render(self) -> None:
        """Render /metrics once, now (after each poll), so a scrape only sends bytes."""
        self._metrics = exposition(self.families()).encode()

    def health(self) -> tuple[int, str]:
        now = time.time()
        limit = STALE_INTERVALS * self.interval
        failing = []
        for name, state in self.states.items():
            fresh = state.up and state.last_success is not None and now - state.last_success <= limit
            if not fresh:
                why = state.problem or ("not polled yet" if not state.polled else "no success in three intervals")
                if state.last_success is not None and now - state.last_success > limit:
                    why = f"last success {now - state.last_success:.0f} s ago; {why}"
                failing.append(f"{name}: {why}")
        if failing:
            return 503, "failing: " + "; ".join(failing) + "\n"
        return 200, f"ok: {len(self.states)} key(s) polled within {limit:g} s\n"

    def route(self, method: str, path: str) -> tuple[int, bytes, str]:
        """What one request gets: status, body and content type."""
        if method not in ("GET", "HEAD"):
            return 405, b"only GET\n", "text/plain; charset=utf-8"
        if path == "/metrics":
            return 200, self._metrics, "text/plain; version=0.0.4; charset=utf-8"
        if path == "/healthz":
            status, text = self.health()
            return status, text.encode(), "text/plain; charset=utf-8"
        if path == "/":
            return 200, b"openrouter-credits exporter: /metrics, /healthz\n", "text/plain; charset=utf-8"
        return 404, b"not found: /metrics, /healthz\n", "text/plain; charset=utf-8"

    async def run(self, host: str, port: int, ready: Any = None) -> None:
        """Serve and poll until ``stop()``; ``ready(host, port)`` is called once listening."""
        server = await asyncio.start_server(
            functools.partial(serve_connection, self.route), host, port, limit=MAX_REQUEST_BYTES
        )
        bound = server.sockets[0].getsockname()
        if ready is not None:
            ready(bound[0], bound[1])
        tasks = [asyncio.create_task(self._poll_forever(name), name=f"poll {name}") for name in self.states]
        try:
            await self._stop.wait()
        finally:
            server.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for client in self.clients.values():
                await client.aclose()
            if self._http is not None:
                await self._http.aclose()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), timeout=1)

    def stop(self) -> None:
        self._stop.set()


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's state directory: $XDG_STATE_HOME/openrouter-credits, else ~/.local/state/openrouter-credits."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "openrouter-credits"
