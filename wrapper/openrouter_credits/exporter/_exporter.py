"""``openrouter-credits serve``: a Prometheus exporter for several keys, with alerts.

- Each key is polled by a task of its own every ``interval`` seconds (jittered, so keys do not poll
  in lockstep; a 429's Retry-After makes the next poll wait longer, up to ``MAX_POLL_WAIT``).
- ``GET /`` is a status page for people (``_page``), rendered at most once per poll.
- ``GET /metrics`` answers from the last polls, never by calling OpenRouter: the text is rendered once
  per poll and served as is. ``GET /healthz`` is 200 when every key's last poll succeeded recently
  and every call of it answered, else 503 naming the failing keys (and a failed call, with what it
  leaves unknown), in words anyone may read: a key by its table, never a file's path.
- A failed poll: ``up`` 0, the balance series gone (never 0, never stale numbers), the last success
  time kept, ``poll_errors_total{key, kind}`` counted. A poll that read only part of what it needs (one
  call failed) keeps what it read, with ``up`` 0 and ``call_up{call}`` 0 for the call that failed.
- Each key is rendered on its own: a key whose series cannot be rendered is logged and shown as
  failing (``up`` 0), and the other keys are still exported.
- Alerts (``_alerts``): once per crossing of a threshold and once per recovery, kept across restarts.
- Alerts are written to the outbox together, a poll's at once (one write, off the event loop),
  before their states move.

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
from .._apps.metrics import (
    Family,
    account_key_metrics,
    balance_metrics,
    joined_exposition,
    merge_families,
    model_spend_metrics,
    rendered_samples,
    team_spend_metrics,
)
from .._apps.state_folder import default_state_dir
from .._apps.teams import Teams, assign, team_spend, unmatched_workspaces
from .._client import AsyncCreditsClient
from .._exceptions import ConfigurationError, OpenRouterCreditsError
from .._logging import EXPORTER_LOGGER
from .._text import printable
from ._alert import Alert
from ._alerts import AlertBook, Due, alerts_due, key_alerts_due, listed_key_state, route_problems, routes_of
from ._channels import Channel
from ._delivery import Deliverer
from ._guards import Guards
from ._ledger_hook import LedgerWriter
from ._notify_tables import webhook_channel
from ._outbox import Outbox
from ._poll import KeyState, poll_key
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

#: A listing's keys are checked for alerts this many at a time, the event loop free between two.
ALERTS_CHUNK = 200

PLAIN = "text/plain; charset=utf-8"
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HTML = "text/html; charset=utf-8"

#: What each call of a poll tells; what its failure leaves unknown.
FEEDS = {
    "credits": "the account's balance (remaining, spendable, days left)",
    "key": "the key's own limit and usage (spendable)",
    "activity": "the spend per day (days left)",
    "keys": "the account's listed keys",
}


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
        self.channels: dict[str, Channel] = dict(channels or {})
        if notify_url is not None:
            self.channels["notify-url"] = webhook_channel(notify_url)
        self.default_notify = tuple(self.channels) if default_notify is None else tuple(default_notify)
        self._defaults_given = default_notify  # None: every channel
        errors, warnings = route_problems(keys, self.channels, default_notify)
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
        self.deliverer = Deliverer(self.outbox, self.channels)
        self._delivery: asyncio.Task[None] | None = None
        #: One reload at a time: a reload awaits polls' ends and pools' closing on the way.
        self._reloading = asyncio.Lock()
        #: The keys whose series could not be rendered (a bug): logged once each, shown as failing.
        self._unrendered: set[str] = set()
        self._metrics = b""
        self._page: bytes | None = None
        self._stop = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._started = False
        self.render()

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
            routes = self.channels if channels is None else {**channels, **self._kept_channels()}
            given = self._defaults_given if channels is None else default_notify
            errors, warnings = route_problems(keys, routes, given)
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
        self.channels = {**channels, **self._kept_channels()}
        self.default_notify = tuple(self.channels) if default_notify is None else tuple(default_notify)
        self._defaults_given = default_notify
        old = self.deliverer
        old.detach()
        self.deliverer = Deliverer(
            self.outbox,
            self.channels,
            timeout=old.timeout,
            retries=old.retries,
            backoff=old.backoff,
            sleep=old.sleep,
            clock=old.clock,
            logger=old.logger,
            log_every=old.log_every,
        )
        if self._delivery is not None:
            self._delivery.cancel()  # an entry in flight stays in the outbox: sent again (at least once)
            await asyncio.gather(self._delivery, return_exceptions=True)
            self._delivery = asyncio.create_task(self.deliverer.run(), name="deliver alerts")
        logger.info(
            "Reloaded the channels: %s", ", ".join(f"{n} ({c.kind})" for n, c in self.channels.items()) or "none"
        )

    def _kept_channels(self) -> dict[str, Channel]:
        """The channels a reload keeps: ``--notify-url``'s, which the file does not name."""
        return {"notify-url": self.channels["notify-url"]} if "notify-url" in self.channels else {}

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
            self._failed(state, cause)
        else:
            assert balance is not None
            self._succeeded(state, balance)
            await self.check_alerts(state)
        self._report_calls(state, cause is None)
        self._assign_teams(state)
        if state.listed is not None:
            self._note_workspaces(state)
            await self.check_key_alerts(state, state.listed)
            if cause is None and state.listed_at == now:  # fresh data only: a failed or stale poll never acts
                await self.run_guards(state, balance)
            if len(state.listed) > state.spec.max_keys and not state.warned_max_keys:
                state.warned_max_keys = True
                logger.warning(
                    "Key %s: the account has %d keys, more than max_keys = %d: the %d most spent this month are "
                    'exported, the rest summed as key_name="other"',
                    name,
                    len(state.listed),
                    state.spec.max_keys,
                    state.spec.max_keys,
                )
        self.render()
        return min(wait, _defaults.MAX_POLL_WAIT)

    def set_teams(self, teams: Teams) -> None:
        """Group the listed keys by ``teams`` from now on (a reload's); rendered at the next render."""
        if teams != self.teams:
            self.teams = teams
            self._told.clear()
            for state in self.states.values():
                self._assign_teams(state, again=True)

    def _assign_teams(self, state: KeyState, *, again: bool = False) -> None:
        """Each listed key's team (the one rule, ``_apps.teams``), once per listing; the log says once
        of a workspace a team names that no workspace has, and of a key two teams claim (whose teams'
        spend is then left out: unknown)."""
        if not self.teams or state.listed is None:
            state.teams = None
            return
        if not again and state.teams is not None and state.teams_of is state.listed:
            return
        state.teams = assign(state.listed, self.teams)
        state.teams_of = state.listed
        state.team_spends = team_spend(state.listed, self.teams, state.teams)
        told = [(logging.WARNING, text) for text in unmatched_workspaces(self.teams, state.listed.workspaces or ())]
        told += [(logging.ERROR, str(conflict)) for conflict in state.teams.conflicts]
        for level, message in told:
            if message not in self._told:
                self._told.add(message)
                logger.log(level, "Key %s: %s", state.spec.name, message)

    def public_terms(self, spec: KeySpec) -> dict[str, str]:
        """How /healthz and the page, which anyone who reaches the exporter reads, name the settings:
        a key by its table (``the key of [keys.team-a]``), never by a file's path (the log says that)."""
        terms = dict(self.terms)
        if spec.origin is not None:
            terms["key_source"] = f"the key of [keys.{spec.name}]"
        return terms

    def _public(self, spec: KeySpec, error: OpenRouterCreditsError) -> str:
        """``kind: message``, as /healthz and the page show a failure: one line, no path."""
        return printable(f"{error.kind}: {error.describe(self.public_terms(spec))}")

    def _report_calls(self, state: KeyState, answered: bool) -> None:
        """Keep ``state.incomplete`` (what /healthz and the page say of the calls that failed) and log
        once when a call starts failing while the poll goes on, and once when it answers again."""
        failed = state.failed_calls()
        name = state.spec.name
        if not answered:  # the poll's own failure says it all (logged by _failed)
            state.incomplete = None
            state.logged_calls = set()
            return
        parts = []
        for call, error in failed.items():
            shown = f"GET /{call} failed ({self._public(state.spec, error)}): {FEEDS[call]} unknown"
            if call == "keys" and state.listing_not_before > self.monotonic():
                shown += f"; not asked again for {state.listing_not_before - self.monotonic():.0f} s"
            parts.append(shown)
            if call not in state.logged_calls:
                logger.info(
                    "Key %s: GET /%s failed (%s): %s; %s unknown until it answers",
                    name,
                    call,
                    error.kind,
                    error.describe(state.spec.terms(self.terms)),
                    FEEDS[call],
                )
        for call in sorted(state.logged_calls - failed.keys()):
            logger.info("Key %s: GET /%s answers again", name, call)
        if "keys" in failed and state.listing_not_before > self.monotonic() and "keys" not in state.logged_calls:
            logger.info(
                "Key %s: the listing is held back for %.0f s (a 429 on GET /keys)",
                name,
                state.listing_not_before - self.monotonic(),
            )
        state.logged_calls = set(failed)
        state.incomplete = "; ".join(parts) or None

    def _note_workspaces(self, state: KeyState) -> None:
        """One log line when a discovering key's listing holds only the default workspace's keys (and
        why), one when it holds every workspace's again; nothing while that does not change."""
        listed = state.listed
        assert listed is not None
        note = None if listed.complete else listed.workspaces_note
        if note == state.default_only:
            return
        if note is not None:
            logger.warning(
                "Key %s: only the default workspace's keys are listed and exported (%s)", state.spec.name, note
            )
        else:
            logger.info("Key %s: every workspace's keys are listed again", state.spec.name)
        state.default_only = note

    def _failed(self, state: KeyState, error: OpenRouterCreditsError) -> None:
        state.balance = None
        state.up = False
        message = error.describe(state.spec.terms(self.terms))
        state.problem = self._public(state.spec, error)
        if state.failing_since is None:
            state.failing_since = self.clock()
            logger.info("Key %s: the poll failed (%s): %s", state.spec.name, error.kind, message)
        else:
            logger.debug("Key %s: the poll failed again: %s", state.spec.name, message)

    def _succeeded(self, state: KeyState, balance: Any) -> None:
        if state.failing_since is not None:
            logger.info("Key %s: polls succeed again", state.spec.name)
        if not state.polled_ok:
            state.polled_ok = True
            self._never_checkable(state.spec, balance)
        state.balance = balance
        state.up = True
        state.problem = None
        state.failing_since = None
        state.last_success = self.clock()

    @staticmethod
    def _never_checkable(spec: KeySpec, balance: Any) -> None:
        """Say once, at the first answer, which of a key's thresholds this kind of key can never check."""
        key = balance.key
        if key is None or key.is_management_key:
            return
        if spec.below is not None and key.limit is None:
            logger.warning(
                "Key %s: below can never be checked: it is not a management key and has no limit, so what it may "
                "spend is unknown; give it a limit, or watch a management key",
                spec.name,
            )
        if spec.days_below is not None:
            logger.warning("Key %s: days_below can never be checked: the days left need a management key", spec.name)

    def _overdue(self, state: KeyState, wait: float) -> None:
        """A 429 asked for a wait past the next poll: the figures would go stale, so they go (up 0)."""
        state.balance = None
        state.up = False
        state.problem = f"rate_limit: OpenRouter asked to wait {wait:.0f} s before the next poll"
        logger.info("Key %s: rate limited; the next poll is in %.0f s", state.spec.name, wait)
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

    # --- alerts ---------------------------------------------------------------------------------

    async def check_alerts(self, state: KeyState) -> None:
        """Queue what the poll's balance calls for (``below``, ``days_below``, ``spike``)."""
        if state.balance is None or not self._routes(state.spec):
            return
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        await self._queue(state.spec, alerts_due(state.spec, state.balance, self.alerts, now, state.today_spend()))

    async def check_key_alerts(self, state: KeyState, keys: list[Any]) -> None:
        """Queue the alerts of a discovering key's listing (``key_below_fraction``, ``key_will_exhaust``),
        each with the listed key's name, never a secret; forget the states of keys no longer listed."""
        spec = state.spec
        self.alerts.prune(f"{spec.name}/", {listed_key_state(spec, key) for key in keys})
        if (spec.key_below_fraction is None and not spec.key_will_exhaust) or not self._routes(spec):
            return
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        due: list[Due] = []
        for start in range(0, len(keys), ALERTS_CHUNK):  # thousands of keys: scrapes are answered between chunks
            due += key_alerts_due(spec, keys[start : start + ALERTS_CHUNK], now, self.alerts)
            await asyncio.sleep(0)
        await self._queue(spec, due)

    async def run_guards(self, state: KeyState, balance: Any) -> None:
        """The guards' work on a discovering key's fresh listing (``_guards``): restores due, actions."""
        listed = state.listed
        assert listed is not None
        key = getattr(balance, "key", None)
        await self.guards.run(
            state.spec,
            listed,
            self.clients[state.spec.name],
            own_label=getattr(key, "label", None),
            complete=listed.complete,
            notify=self._notify,
        )

    async def _notify(self, spec: KeySpec, alert: Alert) -> None:
        """One alert (a guard's) to ``spec``'s channels, through the outbox (written before it goes)."""
        routes = self._routes(spec)
        if not routes:
            return
        entries = self.outbox.put_all([(alert, routes)], held=True)
        try:
            await self.outbox.flush()
        finally:
            self.outbox.release(entries)

    async def _queue(self, spec: KeySpec, due: list[Due]) -> None:
        """Put ``due`` in the outbox, written (off the event loop) before the states move: a crash between
        the two repeats an alert rather than losing one; held from delivery until the states are written
        too, so a receiver never hears of an alert a crash could still repeat. A key whose alerts go to
        no channel keeps its states (it was warned of at start)."""
        routes = self._routes(spec)
        if not due or not routes:
            return
        entries = self.outbox.put_all(((item.alert, routes) for item in due), held=True)
        try:
            await self.outbox.flush()
            for item in due:
                for threshold in item.thresholds:
                    self.alerts.set(item.subject, threshold, item.crossed)
            await self.alerts.flush()
        finally:
            self.outbox.release(entries)

    def _routes(self, spec: KeySpec) -> tuple[str, ...]:
        return routes_of(spec, self.channels, self.default_notify)

    # --- serving --------------------------------------------------------------------------------

    def key_families(self, name: str, state: KeyState, now: dt.datetime) -> list[Family]:
        """One key's families: its gauges labelled ``key``, its listed keys and models (``discover``)
        and its poll error counters."""
        labels = {"key": name}
        last_success = None if state.last_success is None else round(state.last_success, 3)
        families = balance_metrics(state.balance, labels, up=state.up, last_success=last_success, calls=state.calls)
        if state.spec.discover and state.listed is not None:
            teams = None if state.teams is None else state.teams.by_hash
            families += account_key_metrics(state.listed, now, labels, max_keys=state.spec.max_keys, teams=teams)
            if state.teams is not None:
                families.append(team_spend_metrics(state.team_spends, labels))
        if state.spec.discover and state.activity is not None:
            families.append(model_spend_metrics(state.activity.by_model(), labels, top=state.spec.top_models))
        errors = [({**labels, "kind": kind}, float(count)) for kind, count in state.errors.items()]
        return [*families, _errors_family(errors)]

    def families(self) -> list[Family]:
        """Every key's families, merged (a family's samples of all keys together)."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        return [
            *merge_families(self.key_families(name, state, now) for name, state in self.states.items()),
            *self.deliverer.families(),
            *self.guards.families(),
        ]

    def render(self) -> None:
        """Render /metrics once, now (after each poll), so a scrape only sends bytes; the page is
        rendered again at its next request (at most once per poll). Each key is rendered on its own:
        one whose series raise is logged (once) and exported as ``up`` 0 alone; the others as ever."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        parts = []
        for name, state in self.states.items():
            try:
                parts.append(rendered_samples(self.key_families(name, state, now)))
            except Exception:  # a bug, or text no rule foresaw: this key alone pays for it
                if name not in self._unrendered:
                    logger.exception("Key %s: its metrics could not be rendered; it shows as failing", name)
                self._unrendered.add(name)
                failed = balance_metrics(None, {"key": name}, up=False, last_success=None, calls={})
                parts.append(rendered_samples(failed))
            else:
                if name in self._unrendered:
                    logger.info("Key %s: its metrics are rendered again", name)
                self._unrendered.discard(name)
        parts.append(rendered_samples(self.deliverer.families()))
        if self.guards.specs or self.guards.pending:
            parts.append(rendered_samples(self.guards.families()))
        self._metrics = joined_exposition(parts)
        self._page = None

    def page(self) -> bytes:
        """The status page (``_page``), rendered once per poll and kept until the next."""
        if self._page is None:
            from ._page import render_page, snapshot_of

            ledger = None if self.ledger is None else self.ledger.view
            snapshot = snapshot_of(
                self.states,
                self.clock(),
                unrendered=self._unrendered,
                ledger=ledger,
                teams=self.teams,
                guards=self.guards.views(),
            )
            self._page = render_page(snapshot)
        return self._page

    def health(self) -> tuple[int, str]:
        now = self.clock()
        # A poll is due every interval (at most 10 % late by jitter) and may take its deadline.
        limit = STALE_INTERVALS * self.interval * (1 + JITTER) + self.deadline
        failing = []
        for name, state in self.states.items():
            fresh = state.up and state.last_success is not None and now - state.last_success <= limit
            if not fresh:
                why = state.problem or ("not polled yet" if not state.polled else "no success in three intervals")
                if state.last_success is not None and now - state.last_success > limit:
                    why = f"last success {now - state.last_success:.0f} s ago; {why}"
                failing.append(f"{name}: {why}")
            elif state.incomplete is not None:
                failing.append(f"{name}: {state.incomplete}")
            elif name in self._unrendered:
                failing.append(f"{name}: its metrics could not be rendered (see the log)")
        if failing:
            return 503, "failing: " + "; ".join(failing) + "\n"
        ages = [now - state.last_success for state in self.states.values() if state.last_success is not None]
        age = f"{max(ages):.0f} s ago" if ages else "never"
        return 200, f"ok: {len(self.states)} key(s), the oldest last polled {age} (stale after {limit:g} s)\n"

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


def _errors_family(samples: Sequence[tuple[Mapping[str, str], float]]) -> Family:
    return Family(
        "openrouter_credits_poll_errors_total",
        "Failed calls to OpenRouter while polling, by key and kind of failure.",
        "counter",
        samples,
    )
