"""``openrouter-credits serve``: a Prometheus exporter for several keys, with alerts; ``Exporter``
holds its parts together and runs them.

- Each key is polled by a task of its own every ``interval`` seconds (jittered, so keys do not poll
  in lockstep; a 429's Retry-After makes the next poll wait longer, up to ``MAX_POLL_WAIT``). A poll
  (``_poll``) is followed by the ledger's record (``_ledger_hook``), what it makes of the key's status
  and teams (``_key_status``), the alerts it calls for (``_alert_queue``, to the channels of
  ``_alert_routes``), the guards (``_guards``, on a fresh listing only), then /metrics' rendering
  (``_serving``).
- ``GET /metrics`` answers from the last polls, never by calling OpenRouter: the text is rendered once
  per poll and served as is; ``GET /healthz`` says whether every key's last poll succeeded recently
  (``_serving``); ``GET /`` is a status page for people (``_page``), rendered at most once per poll.
- ``reload()`` (SIGHUP, ``_reload``) starts new keys, stops removed ones, keeps the others' state
  and schedule; new channels restart delivery (``_delivery``) on the same outbox.

Time, sleep and randomness are injected (``clock``, ``monotonic``, ``rng``) so that polling, jitter,
alerts and staleness are tested in virtual time; ``client_clock`` is the clients' time (the days of
``/activity``, the time each balance and its forecast are answered at). Keys and webhook URLs carry
secrets: neither appears in metrics, logs, /healthz or errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import _defaults
from .._apps.config_file import KeySpec
from .._apps.metrics import Family, merge_families
from .._apps.state_folder import default_state_dir
from .._apps.teams import Teams
from .._client import AsyncCreditsClient
from .._exceptions import ConfigurationError
from .._logging import EXPORTER_LOGGER
from . import _key_status
from ._alert_queue import AlertQueue
from ._alert_routes import NOTIFY_URL_CHANNEL, AlertRoutes
from ._alerts import AlertBook
from ._channels import Channel
from ._delivery import Deliverer
from ._guards import Guards
from ._ledger_hook import LedgerWriter
from ._notify_tables import webhook_channel
from ._outbox import Outbox
from ._poll import KeyState, poll_key
from ._serving import HTML, METRICS_TYPE, PLAIN, health, key_families, render_metrics
from ._statedir import StateDir

if TYPE_CHECKING:
    from .._apps.guard_config import GuardSpec
    from .._apps.journal import Journal
    from ._http import Limits

__all__ = ["Exporter", "default_state_dir"]

logger = logging.getLogger(EXPORTER_LOGGER)

JITTER = 0.1
#: The first polls of the keys are spread over this many seconds (or the interval, if shorter).
FIRST_POLL_SPREAD = 2.0
#: /healthz calls a key stale when its last success is older than this many intervals (plus the
#: time a poll may take: its deadline).
STALE_INTERVALS = 3


class Exporter:
    """Polls each key and serves what it learnt; ``run()`` until ``stop()``."""

    def __init__(
        self,
        keys: Sequence[KeySpec],
        *,
        interval: float = _defaults.DEFAULT_POLL_INTERVAL,
        base_url: str | None = None,
        timeout: float | None = None,
        deadline: float = _defaults.DEFAULT_DEADLINE,
        max_retries: int = _defaults.DEFAULT_MAX_RETRIES,
        notify_url: str | None = None,
        channels: Mapping[str, Channel] | None = None,
        default_notify: Sequence[str] | None = None,
        state: StateDir | None = None,
        terms: Mapping[str, str] | None = None,
        activity_interval: float = _defaults.DEFAULT_ACTIVITY_INTERVAL,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        ledger: LedgerWriter | None = None,
        teams: Teams | None = None,
        client_clock: Callable[[], dt.datetime] | None = None,
        guards: Sequence[GuardSpec] = (),
        journal: Journal | None = None,
    ) -> None:
        self.interval = interval
        #: The ``[teams.NAME]`` tables: the listed keys' ``team`` label and each team's spend.
        self.teams = teams or Teams()
        #: The teams' mistakes the log has told of (a workspace no workspace has, two teams on one key).
        self._told: set[str] = set()
        #: Where each poll's answers are written, when a ledger is named (``_ledger_hook``).
        self.ledger = ledger
        self.deadline = deadline
        #: How messages name the settings (``serve`` passes its options: ``--base-url``).
        self.terms = dict(terms or {})
        self.activity_interval = max(activity_interval, interval)
        self.clock = clock
        self.monotonic = monotonic
        self.rng = rng or random.Random()
        #: How the polling tasks wait (by default until the time has passed or ``stop()``).
        self.sleep = self._sleep if sleep is None else sleep
        self._options: dict[str, Any] = {"base_url": base_url, "deadline": deadline, "max_retries": max_retries}
        if timeout is not None:
            self._options["timeout"] = timeout
        if client_clock is not None:  # the clients' time (the days of /activity, the balance's); their own by default
            self._options["clock"] = client_clock
        self.states: dict[str, KeyState] = {}
        self.clients: dict[str, AsyncCreditsClient] = {}
        for spec in keys:
            self._add(spec)
        given = dict(channels or {})
        if notify_url is not None:
            given[NOTIFY_URL_CHANNEL] = webhook_channel(notify_url)
        #: The channels, and where each key's alerts go among them.
        self.routes = AlertRoutes(given, default_notify)
        errors, warnings = self.routes.problems(keys)
        if errors:
            raise ConfigurationError(errors[0])
        for warning in warnings:
            logger.warning("%s", warning)
        if self.teams and not any(spec.discover for spec in keys):
            logger.warning(
                "The teams of the file group the account's listed keys, and no key lists them: give one management "
                "key discover = true"
            )
        self.alerts = AlertBook(state)
        self.alerts.retain(self.states)
        #: The [guard.NAME] tables at work; their changes go to ``journal`` (the ledger's, else the
        #: state directory's; given by serve), their pending restores to the state directory.
        self.guards = Guards(guards, state, journal, clock=clock)
        self.outbox = Outbox(None if state is None else state.file("outbox.json"), clock=clock)
        #: The alerts of each poll, on their way through the outbox to the channels.
        self.queue = AlertQueue(self.alerts, self.outbox, self.routes.of, clock=clock)
        self.deliverer = Deliverer(self.outbox, self.channels)
        self._delivery: asyncio.Task[None] | None = None
        #: One reload at a time: a reload awaits polls' ends and pools' closing on the way.
        self._reloading = asyncio.Lock()
        #: The keys whose series could not be rendered (a bug): logged once each, shown as failing.
        self._unrendered: set[str] = set()
        self._metrics = b""
        self._page: bytes | None = None
        #: The parts of the page that could not be shown last time (a bug): logged once each.
        self._page_failing: set[str] = set()
        self._stop = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._started = False
        self.render()

    @property
    def channels(self) -> dict[str, Channel]:
        """The channels alerts go to now (a reload may replace them)."""
        return self.routes.channels

    def _add(self, spec: KeySpec) -> None:
        self.states[spec.name] = KeyState(spec)
        self.clients[spec.name] = AsyncCreditsClient(spec.api_key, **self._options)

    async def reload(
        self,
        keys: Sequence[KeySpec],
        *,
        channels: Mapping[str, Channel] | None = None,
        default_notify: Sequence[str] | None = None,
        guards: Sequence[GuardSpec] | None = None,
    ) -> None:
        """Poll ``keys`` from now on: new keys start polling, removed keys' series go, a key whose
        settings changed starts afresh; the others keep their state and schedule. With ``channels``
        (the ``[notify.NAME]`` tables' channels, read anew), those and ``default_notify`` replace the
        file's channels (``--notify-url``'s stays), and delivery starts afresh on them: what waits in
        the outbox goes to the channels as they are now. Reloads take turns: one at a time."""
        async with self._reloading:
            errors, warnings = self.routes.problems(keys, channels, default_notify)
            if errors:
                logger.error("Reload refused, keeping the keys as they were: %s", errors[0])
                return
            for warning in warnings:
                logger.warning("%s", warning)
            wanted = {spec.name: spec for spec in keys}
            for name in [name for name, state in self.states.items() if wanted.get(name) != state.spec]:
                await self._stop_polling(name)
                del self.states[name]
                await self.clients.pop(name).aclose()
            for name, spec in wanted.items():
                if name not in self.states:
                    self._add(spec)
                    if self._started:
                        self._start(name)
            self.states = {name: self.states[name] for name in wanted}  # the file's order
            self._unrendered &= set(self.states)
            self.alerts.retain(self.states)
            if guards is not None:
                self.guards.reload(guards)
            if channels is not None:
                await self._replace_channels(channels, default_notify)
            self.render()
        logger.info("Reloaded the keys: %d key(s) (%s)", len(self.states), ", ".join(self.states))

    async def _replace_channels(self, channels: Mapping[str, Channel], default_notify: Sequence[str] | None) -> None:
        """Deliver to ``channels`` (and ``--notify-url``'s) from now on: the delivery workers restart."""
        self.routes.replace(channels, default_notify)
        self.deliverer = self.deliverer.replaced(self.channels)
        if self._delivery is not None:
            self._delivery.cancel()  # an entry in flight stays in the outbox: sent again (at least once)
            await asyncio.gather(self._delivery, return_exceptions=True)
            self._delivery = asyncio.create_task(self.deliverer.run(), name="deliver alerts")
        logger.info(
            "Reloaded the channels: %s", ", ".join(f"{n} ({c.kind})" for n, c in self.channels.items()) or "none"
        )

    async def _stop_polling(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _start(self, name: str) -> None:
        running = self._tasks.get(name)
        if running is not None and not running.done():  # never two tasks polling one key
            return
        self._tasks[name] = asyncio.create_task(self._poll_forever(name), name=f"poll {name}")

    # --- polling --------------------------------------------------------------------------------

    async def poll(self, name: str) -> float:
        """Poll one key once; the seconds a 429 asks the next poll to wait (0 if none)."""
        state = self.states[name]
        now = self.monotonic()
        balance, cause, wait = await poll_key(
            state,
            self.clients[name],
            now=now,
            activity_interval=self.activity_interval,
            keys_interval=self.interval,
        )
        if self.ledger is not None:  # what this poll read afresh, to the ledger
            fresh_keys = state.listed if state.listed_at == now else None
            fresh_activity = state.activity if state.activity_at == now else None
            polled_at = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
            await self.ledger.record(name, balance, fresh_keys, fresh_activity, polled_at)
            if balance is not None:  # the forecast from the ledger's longer history
                balance = await self.ledger.with_history(balance)
        if cause is not None:
            _key_status.failed(state, cause, self.terms, self.clock())
        else:
            assert balance is not None
            _key_status.succeeded(state, balance, self.clock())
            await self.queue.check(state)
        _key_status.report_calls(state, cause is None, self.terms, self.monotonic)
        _key_status.assign_teams(state, self.teams, self._told)
        if state.listed is not None:
            _key_status.note_workspaces(state)
            await self.queue.check_listing(state, state.listed)
            if cause is None and state.listed_at == now:  # fresh data only: a failed or stale poll never acts
                await self.run_guards(state, balance)
            _key_status.note_max_keys(state)
        self.render()
        return min(wait, _defaults.MAX_POLL_WAIT)

    def set_teams(self, teams: Teams) -> None:
        """Group the listed keys by ``teams`` from now on (a reload's); rendered at the next render."""
        if teams != self.teams:
            self.teams = teams
            self._told.clear()
            for state in self.states.values():
                _key_status.assign_teams(state, self.teams, self._told, again=True)

    def _overdue(self, state: KeyState, wait: float) -> None:
        """A 429 asked for a wait past the next poll: the figures go (``_key_status``), at once."""
        _key_status.overdue(state, wait)
        self.render()

    async def _poll_forever(self, name: str) -> None:
        await self.sleep(self.rng.uniform(0, min(self.interval, FIRST_POLL_SPREAD)))  # keys start apart too
        while not self._stop.is_set() and name in self.states:
            try:
                extra = await self.poll(name)
            except Exception:  # a bug, not the server's doing: log it, keep the other keys going
                logger.exception("Key %s: the poll raised unexpectedly", name)
                extra = 0.0
            normal = self.interval * self.rng.uniform(1 - JITTER, 1 + JITTER)
            if extra > normal and name in self.states:
                await self.sleep(normal)
                self._overdue(self.states[name], extra)
                await self.sleep(extra - normal)
            else:
                await self.sleep(normal)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    # --- alerts and guards ----------------------------------------------------------------------

    async def run_guards(self, state: KeyState, balance: Any) -> None:
        """The guards' work on a discovering key's fresh listing (``_guards``): restores due, actions;
        their alerts go to the listing key's channels."""
        listed = state.listed
        assert listed is not None
        key = getattr(balance, "key", None)
        await self.guards.run(
            state.spec,
            listed,
            self.clients[state.spec.name],
            own_label=getattr(key, "label", None),
            complete=listed.complete,
            notify=self.queue.notify,
        )

    # --- serving --------------------------------------------------------------------------------

    def families(self) -> list[Family]:
        """Every key's families, merged (a family's samples of all keys together)."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        return [
            *merge_families(key_families(name, state, now) for name, state in self.states.items()),
            *self.deliverer.families(),
            *self.guards.families(),
        ]

    def render(self) -> None:
        """Render /metrics once, now (after each poll), so a scrape only sends bytes; the page is
        rendered again at its next request (at most once per poll). Each key is rendered on its own
        (``_serving``): one whose series raise is exported as ``up`` 0 alone."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        others = [self.deliverer.families()]
        if self.guards.specs or self.guards.pending:
            others.append(self.guards.families())
        self._metrics = render_metrics(self.states, now, self._unrendered, others)
        self._page = None

    def page(self) -> bytes:
        """The status page (``_page``), rendered once per poll and kept until the next."""
        if self._page is None:
            from ._page import page

            self._page = page(
                self.states,
                self.clock(),
                failing=self._page_failing,
                unrendered=self._unrendered,
                ledger=None if self.ledger is None else self.ledger.view,
                teams=self.teams,
                guards=self.guards.views,
            )
        return self._page

    def health(self) -> tuple[int, str]:
        """/healthz: 200 when every key's last poll succeeded recently and whole, else 503 (``_serving``)."""
        # A poll is due every interval (at most 10 % late by jitter) and may take its deadline.
        limit = STALE_INTERVALS * self.interval * (1 + JITTER) + self.deadline
        return health(self.states, self.clock(), limit, self._unrendered)

    def route(self, method: str, path: str) -> tuple[int, bytes, str]:
        """What one GET or HEAD gets: status, body and content type."""
        if path == "/metrics":
            return 200, self._metrics, METRICS_TYPE
        if path == "/healthz":
            status, text = self.health()
            return status, text.encode(), PLAIN
        if path == "/":
            return 200, self.page(), HTML
        return 404, b"not found: /, /metrics, /healthz\n", PLAIN

    async def run(self, host: str, port: int, ready: Any = None, *, limits: Limits | None = None) -> None:
        """Serve and poll until ``stop()``; ``ready(host, port)`` is called once listening; the HTTP side
        holds connections to ``limits`` (``Limits()`` by default). A port that cannot be bound is a
        ConfigurationError naming --listen."""
        from ._http import HTTPServer, quiet_loop_errors

        quiet_loop_errors(asyncio.get_running_loop(), logger)
        server = HTTPServer(self.route, limits=limits, logger=logger)
        try:
            bound = await server.start(host, port)
        except OSError as exc:
            await self.aclose()
            raise ConfigurationError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): pick another with --listen HOST:PORT."
            ) from None
        if ready is not None:
            ready(*bound)
        self._started = True
        for name in self.states:
            self._start(name)
        self._delivery = asyncio.create_task(self.deliverer.run(), name="deliver alerts")
        try:
            await self._stop.wait()
        finally:
            await server.close()
            async with self._reloading:  # a reload under way ends first (it may restart delivery)
                delivery, self._delivery = self._delivery, None
            assert delivery is not None
            await self.deliverer.drain(0.5)  # what is left stays in the outbox for the next start
            delivery.cancel()
            await asyncio.gather(delivery, return_exceptions=True)
            tasks = list(self._tasks.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.clear()
            await self.outbox.flush()  # the last changes, before the process goes
            await self.alerts.flush()
            await self.guards.flush()
            await self.aclose()

    async def aclose(self) -> None:
        """Close the clients' connection pools."""
        for client in self.clients.values():
            await client.aclose()

    def stop(self) -> None:
        self._stop.set()
