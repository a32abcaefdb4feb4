"""Alerts on their way: a persisted outbox, and a deliverer that empties it with one worker per channel.

A poll that finds alerts due puts them in the ``Outbox`` (one entry per channel) and goes on: the post
itself happens in the ``Deliverer``'s worker for that channel, so a slow or failing receiver never
delays /metrics, a poll, or another channel; and no disk work runs on the event loop (``StateFile``).

Delivery is at least once:

- ``await Outbox.flush()`` returns once the entries put before it are in the outbox file (written
  atomically, fsynced, in a worker thread: the alerts of one poll make one write); the exporter
  awaits it before it moves the keys' alert states, and an entry leaves the file only after its
  channel took it. Entries left by a previous run are delivered on start.
- The exporter puts a poll's alerts ``held``, and releases them once the alert states are written
  too: a receiver never hears of an alert whose state a crash could still take back.
- A kill -9 between a successful post and the write that forgets its entry sends that alert once
  more after the restart: at most one duplicate per entry and crash.
- A post abandoned at its timeout may still have reached the receiver (it may have taken it and been
  slow to answer): the retry can then deliver it a second time. The worker never has two posts of one
  channel in flight, so these are the only duplicates; a receiver that answers in time gets each
  entry exactly once.

The outbox is bounded: a newer alert about the same thing (``Alert.about``: a key's, or a listed
key's, threshold) replaces one still waiting for the same channel (only the current state matters);
an entry older than ``max_age`` (24 h) is dropped; past ``max_entries`` (10,000) the oldest are.

Each notification is tried at most ``retries`` times (20), ``backoff(n)`` seconds after its n-th
failure (2, 4, 8, ... capped at 5 minutes: about an hour in all), then dropped; one the receiver
refuses as malformed (``DeliveryError.permanent``) is dropped at once. A failed entry waits its turn
behind the channel's others, so one that cannot be delivered never holds the rest of the queue (the
channel itself pauses ``backoff(failures in a row)`` after each failure, so a receiver that is down is
not hammered). Alerts alike (``Alert.group``: listed keys crossing the same threshold) waiting
together for a channel go as one notification ("37 keys listed by acct are below 10 % of their
limits: ..."). Every alert dropped, however, is logged and counted by channel
(``openrouter_credits_alerts_dropped_total``). Failures are logged without secrets, at most once a
minute per channel, with the number of failures not shown since the last line. A worker that stops
on a bug is logged with its traceback and started again.

Time is injected (``sleep``, ``clock``): tests give a fake sleep that advances a fake clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import httpx

from .. import _defaults
from .._apps.metrics import Family
from .._logging import EXPORTER_LOGGER
from ._channels import Alert, Channel, DeliveryError, summary
from ._statedir import StateFile, read_json

__all__ = ["Deliverer", "Entry", "Outbox", "default_backoff"]

_logger = logging.getLogger(EXPORTER_LOGGER)

#: The outbox file's format (1: without ``created``, still read); a file of another version is moved
#: aside like a corrupt one.
OUTBOX_VERSION = 2
#: Extra time a send gets beyond its own timeout before the worker gives up on it (a channel that
#: blocks in a thread, like email, cannot be interrupted sooner than its socket timeout).
GRACE = 1.0


def default_backoff(failures: int) -> float:
    """Seconds before the next attempt after ``failures`` failures in a row: 2, 4, 8, ... up to 5 minutes."""
    return min(2.0 ** min(max(failures, 1), 30), _defaults.MAX_DELIVERY_BACKOFF)


@attrs.frozen
class Entry:
    """One alert for one channel, waiting in the outbox since ``created`` (seconds since the epoch)."""

    id: str
    channel: str
    alert: Alert
    created: float


ALERT_FIELDS = tuple(field.name for field in attrs.fields(Alert))
#: The fields every stored alert has (those of version 1); the others may be absent.
REQUIRED_ALERT_FIELDS = ("key", "state", "title", "text", "severity")


def _entries_json(entries: Sequence[Entry]) -> dict[str, Any]:
    """The outbox file's document (built in the writer's thread, from a snapshot of the entries)."""
    return {
        "version": OUTBOX_VERSION,
        "entries": [
            {"id": e.id, "channel": e.channel, "created": e.created, "alert": attrs.asdict(e.alert)} for e in entries
        ],
    }


def _valid_outbox(value: Any) -> bool:
    """The outbox file's shape: {"version": 2, "entries": [{"id", "channel", "created", "alert": {...}}]}
    (version 1: no "created")."""
    if not isinstance(value, dict) or value.get("version") not in (1, OUTBOX_VERSION):
        return False
    entries = value.get("entries")
    if not isinstance(entries, list):
        return False
    fields = {"id", "channel", "alert"} if value["version"] == 1 else {"id", "channel", "alert", "created"}
    for item in entries:
        if not isinstance(item, dict) or set(item) != fields:
            return False
        alert = item["alert"]
        if not isinstance(item["id"], str) or not isinstance(item["channel"], str) or not isinstance(alert, dict):
            return False
        created = item.get("created", 0.0)
        if isinstance(created, bool) or not isinstance(created, int | float):
            return False
        if not set(REQUIRED_ALERT_FIELDS) <= set(alert) <= set(ALERT_FIELDS):
            return False
        if not all(isinstance(value, str) for value in alert.values()):
            return False
        Alert(**alert)  # a wrong severity raises ValueError: the file counts as corrupt
    return True


class Outbox:
    """Alerts waiting for their channels, kept in ``path`` (None: in memory only), oldest first, bounded
    (``max_entries``, ``max_age``; a newer alert about the same thing replaces a waiting one).

    Use it from the event loop's thread: listeners are called synchronously on each change; the file is
    written off the loop (``flush()``)."""

    def __init__(
        self,
        path: Path | None,
        *,
        clock: Callable[[], float] = time.time,
        max_entries: int = _defaults.MAX_OUTBOX_ENTRIES,
        max_age: float = _defaults.MAX_ALERT_AGE,
        logger: logging.Logger = _logger,
    ) -> None:
        self.path = path
        self.clock = clock
        self.max_entries = max_entries
        self.max_age = max_age
        self.logger = logger
        self._entries: dict[str, Entry] = {}
        self._about: dict[tuple[str, str], str] = {}  # (channel, alert.about) -> the entry waiting
        self._held: set[str] = set()  # entries not to be delivered yet (``release``)
        self._listeners: list[Callable[[str], None]] = []
        #: Alerts given up on, by channel (openrouter_credits_alerts_dropped_total).
        self.dropped: dict[str, int] = {}
        self._file: StateFile[tuple[Entry, ...]] = StateFile(
            path, lambda: tuple(self._entries.values()), _entries_json, what="the alert outbox"
        )
        if path is not None:
            loaded = read_json(path, _valid_outbox, clock=clock)
            now = clock()
            for item in [] if loaded is None else loaded["entries"]:
                self._add(Entry(item["id"], item["channel"], Alert(**item["alert"]), item.get("created", now)))

    def put(self, alert: Alert, channels: Iterable[str]) -> list[Entry]:
        """Queue ``alert`` for each of ``channels`` (in memory at once; in the file by ``flush()``)."""
        return self.put_all([(alert, channels)])

    def put_all(self, alerts: Iterable[tuple[Alert, Iterable[str]]], *, held: bool = False) -> list[Entry]:
        """Queue each alert for its channels: one change of the file for them all. ``held``: kept from
        delivery (``entries()`` leaves them out) until ``release()``; in the file all the same."""
        now = self.clock()
        added = [Entry(uuid.uuid4().hex, channel, alert, now) for alert, channels in alerts for channel in channels]
        for entry in added:
            self._add(entry)
        if held:
            self._held.update(entry.id for entry in added)
        self._bound(now)
        self._file.changed()
        if not held:
            self._notify_all(added)
        return added

    def release(self, entries: Iterable[Entry]) -> None:
        """Let held entries go to their channels."""
        released = [entry for entry in entries if entry.id in self._held]
        self._held.difference_update(entry.id for entry in released)
        self._notify_all(released)

    async def flush(self) -> None:
        """Return once every change made so far is in the file (or its write failed, logged)."""
        await self._file.flush()

    def remove(self, entry_ids: str | Iterable[str]) -> None:
        """Forget delivered entries (the file is written soon after)."""
        removed = self._pop([entry_ids] if isinstance(entry_ids, str) else entry_ids)
        if removed:
            self._file.changed()
            for channel in dict.fromkeys(entry.channel for entry in removed):
                self._notify(channel)

    def drop(self, entries: Sequence[Entry], why: str) -> None:
        """Give up on ``entries`` (of one channel or several): forgotten, counted, one warning each channel."""
        removed = self._pop(entry.id for entry in entries)
        by_channel: dict[str, list[Entry]] = {}
        for entry in removed:
            by_channel.setdefault(entry.channel, []).append(entry)
        for channel, gone in by_channel.items():
            self.dropped[channel] = self.dropped.get(channel, 0) + len(gone)
            self.logger.warning(
                "Dropped %s for channel %s: %s (%s)",
                "an alert" if len(gone) == 1 else f"{len(gone)} alerts",
                channel,
                why,
                gone[0].alert.title if len(gone) == 1 else f"the first: {gone[0].alert.title}",
            )
        if removed:
            self._file.changed()
            for channel in by_channel:
                self._notify(channel)

    def expire(self) -> None:
        """Drop the entries older than ``max_age``: their news is stale."""
        limit = self.clock() - self.max_age
        old = [entry for entry in self._entries.values() if entry.created < limit and entry.id not in self._held]
        if old:
            self.drop(old, f"undelivered for more than {self.max_age / 3600:g} h")

    def entries(self, channel: str | None = None) -> list[Entry]:
        """The entries waiting for delivery (held ones left out), oldest first: all, or those of one channel."""
        held = self._held
        return [
            entry
            for entry in self._entries.values()
            if (channel is None or entry.channel == channel) and (not held or entry.id not in held)
        ]

    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(channel)`` whenever an entry of ``channel`` is added or removed."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` no more."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def __len__(self) -> int:
        return len(self._entries)

    def _add(self, entry: Entry) -> None:
        about = entry.alert.about
        if about:
            superseded = self._about.get((entry.channel, about))
            if superseded is not None:
                self._entries.pop(superseded, None)  # only the current state matters
                self._held.discard(superseded)
            self._about[(entry.channel, about)] = entry.id
        self._entries[entry.id] = entry

    def _pop(self, entry_ids: Iterable[str]) -> list[Entry]:
        removed = []
        for entry_id in entry_ids:
            entry = self._entries.pop(entry_id, None)
            self._held.discard(entry_id)
            if entry is None:
                continue
            removed.append(entry)
            key = (entry.channel, entry.alert.about)
            if entry.alert.about and self._about.get(key) == entry.id:
                del self._about[key]
        return removed

    def _bound(self, now: float) -> None:
        self.expire()
        excess = len(self._entries) - self.max_entries
        if excess > 0:
            oldest = list(self._entries.values())[:excess]
            self.drop(oldest, f"the outbox holds at most {self.max_entries} alerts; these were the oldest")

    def _notify(self, channel: str) -> None:
        for listener in self._listeners:
            listener(channel)

    def _notify_all(self, entries: Iterable[Entry]) -> None:
        for channel in dict.fromkeys(entry.channel for entry in entries):
            self._notify(channel)


class Deliverer:
    """Empties ``outbox`` into ``channels``: ``run()`` until cancelled, one worker task per channel."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        *,
        timeout: float = _defaults.DEFAULT_DELIVERY_TIMEOUT,
        retries: int = _defaults.DEFAULT_DELIVERY_RETRIES,
        backoff: Callable[[int], float] = default_backoff,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = _logger,
        log_every: float = _defaults.DELIVERY_LOG_EVERY,
        group_limit: int = _defaults.MAX_ALERTS_PER_NOTIFICATION,
    ) -> None:
        self.outbox = outbox
        self.channels = dict(channels)
        self.timeout = timeout
        self.retries = max(retries, 1)
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self.logger = logger
        self.log_every = log_every
        self.group_limit = max(group_limit, 1)
        #: Notifications delivered and attempts that failed, by channel (for tests and the log).
        self.delivered: dict[str, int] = dict.fromkeys(self.channels, 0)
        self.failures: dict[str, int] = dict.fromkeys(self.channels, 0)
        #: How often each channel's worker stopped on a bug and was started again.
        self.restarts: dict[str, int] = dict.fromkeys(self.channels, 0)
        self._wake = {name: asyncio.Event() for name in self.channels}
        self._changed = asyncio.Event()
        self._last_log: dict[str, float] = {}
        self._unlogged: dict[str, int] = dict.fromkeys(self.channels, 0)
        outbox.subscribe(self._on_change)

    def detach(self) -> None:
        """Stop listening to the outbox: a reload's new deliverer takes over."""
        self.outbox.unsubscribe(self._on_change)

    def _on_change(self, channel: str) -> None:
        if channel in self._wake:
            self._wake[channel].set()
        self._changed.set()

    def pending(self) -> int:
        """How many entries wait for the configured channels."""
        return sum(1 for entry in self.outbox.entries() if entry.channel in self.channels)

    def families(self) -> list[Family]:
        """``openrouter_credits_alerts_dropped_total{channel}`` and ``openrouter_credits_alerts_waiting{channel}``."""
        names = [*self.channels, *(name for name in self.outbox.dropped if name not in self.channels)]
        waiting = dict.fromkeys(self.channels, 0)
        for entry in self.outbox.entries():
            if entry.channel in waiting:
                waiting[entry.channel] += 1
        return [
            Family(
                "openrouter_credits_alerts_dropped_total",
                "Alerts given up on, by channel: refused by the receiver, failed at every attempt, "
                "undelivered for a day, or past the outbox's bound.",
                "counter",
                [({"channel": name}, float(self.outbox.dropped.get(name, 0))) for name in names],
            ),
            Family(
                "openrouter_credits_alerts_waiting",
                "Alerts in the outbox waiting for their channel, as of the last poll.",
                "gauge",
                [({"channel": name}, float(count)) for name, count in waiting.items()],
            ),
        ]

    async def run(self) -> None:
        """Deliver until cancelled (entries left from a previous run first)."""
        unknown = [entry for entry in self.outbox.entries() if entry.channel not in self.channels]
        for channel in dict.fromkeys(entry.channel for entry in unknown):
            self.outbox.drop([e for e in unknown if e.channel == channel], "that channel is no longer configured")
        headers = {"User-Agent": _defaults.USER_AGENT}
        tls = await asyncio.to_thread(httpx.create_ssl_context)  # loading the CA bundle takes ~50 ms: not on the loop
        async with httpx.AsyncClient(headers=headers, follow_redirects=False, timeout=self.timeout, verify=tls) as http:
            workers = [
                asyncio.create_task(self._supervise(name, http), name=f"deliver {name}") for name in self.channels
            ]
            try:
                await asyncio.gather(*workers)
            finally:
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    async def drain(self, timeout: float) -> bool:
        """Wait (in real time, at most ``timeout`` seconds) until nothing waits; whether that happened."""
        try:
            async with asyncio.timeout(timeout):
                while self.pending():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True

    # --- one channel's worker ---------------------------------------------------------------------

    async def _supervise(self, name: str, http: httpx.AsyncClient) -> None:
        """Run the channel's worker; when a bug stops it, log that with its traceback and start it again
        (after ``backoff`` of its restarts in a row, so a bug that recurs does not spin)."""
        while True:
            try:
                await self._work(name, http)
            except Exception:
                self.restarts[name] += 1
                wait = self.backoff(self.restarts[name])
                self.logger.exception(
                    "The delivery worker of channel %s stopped unexpectedly; it starts again in %g s", name, wait
                )
                await self.sleep(wait)

    async def _work(self, name: str, http: httpx.AsyncClient) -> None:
        channel = self.channels[name]
        wake = self._wake[name]
        not_before: dict[str, float] = {}  # entries that failed: when their turn comes again
        tries: dict[str, int] = {}  # each entry's failed attempts
        in_a_row = 0  # the channel's failures in a row: they pace the channel
        while True:
            wake.clear()
            self.outbox.expire()
            now = self.clock()
            entries = self.outbox.entries(name)
            if len(not_before) > 2 * len(entries) + 100:  # forget entries gone (replaced, dropped)
                alive = {entry.id for entry in entries}
                not_before = {key: at for key, at in not_before.items() if key in alive}
                tries = {key: count for key, count in tries.items() if key in alive}
            due = [entry for entry in entries if not_before.get(entry.id, now) <= now]
            due.sort(key=lambda entry: tries.get(entry.id, 0))  # fewest failures first, then oldest
            if not due:
                later = [not_before[entry.id] - now for entry in entries if entry.id in not_before]
                await self._wait(wake, min(later) if later else None)
                continue
            batch = self._batch(due)
            problem = await self._attempt(channel, batch, http)
            if problem is None:
                self.outbox.remove(entry.id for entry in batch)
                for entry in batch:
                    not_before.pop(entry.id, None)
                    tries.pop(entry.id, None)
                if in_a_row:
                    self.logger.info("%s delivers again", channel.describe())
                in_a_row = 0
                continue
            in_a_row += 1
            given_up = []
            for entry in batch:
                tries[entry.id] = tries.get(entry.id, 0) + 1
                if problem.permanent or tries[entry.id] >= self.retries:
                    given_up.append(entry)
                else:  # behind the channel's other entries until then
                    not_before[entry.id] = self.clock() + self.backoff(tries[entry.id])
            self._failed(channel, str(problem), in_a_row)
            if given_up:
                why = "the receiver refused it" if problem.permanent else f"{self.retries} attempts failed"
                self.outbox.drop(given_up, f"{why}; the last: {problem}")
            await self.sleep(self.backoff(in_a_row))

    def _batch(self, due: list[Entry]) -> list[Entry]:
        """The next notification: the oldest due entry, with the due entries alike (same group, state and
        severity) when it has a group, up to ``group_limit``."""
        head = due[0]
        if not head.alert.group:
            return [head]
        alike = (head.alert.group, head.alert.state, head.alert.severity)
        batch = [entry for entry in due if (entry.alert.group, entry.alert.state, entry.alert.severity) == alike]
        return batch[: self.group_limit]

    async def _attempt(self, channel: Channel, batch: list[Entry], http: httpx.AsyncClient) -> DeliveryError | None:
        """One send of ``batch`` as one notification: None when the channel took it, else what went
        wrong (no secret in it)."""
        alert = summary([entry.alert for entry in batch])
        try:
            async with asyncio.timeout(self.timeout + GRACE):
                await channel.send(alert, http, timeout=self.timeout)
        except DeliveryError as exc:
            return exc
        except TimeoutError:
            return DeliveryError(f"{channel.describe()} gave no answer within {self.timeout:g} s.")
        except Exception:  # a bug, not the receiver's doing: logged with its traceback (redacted)
            self.logger.exception("%s failed unexpectedly", channel.describe())
            return DeliveryError(f"{channel.describe()} failed unexpectedly.")
        self.delivered[channel.name] += 1
        self.logger.info("Alert sent to %s: %s", channel.describe().removeprefix("The "), alert.title)
        return None

    def _failed(self, channel: Channel, problem: str, in_a_row: int) -> None:
        """Count a failure; log it unless this channel logged one less than ``log_every`` ago."""
        self.failures[channel.name] += 1
        now = self.clock()
        last = self._last_log.get(channel.name)
        if last is not None and now - last < self.log_every:
            self._unlogged[channel.name] += 1
            return
        unlogged, self._unlogged[channel.name] = self._unlogged[channel.name], 0
        self._last_log[channel.name] = now
        waiting = len(self.outbox.entries(channel.name))
        more = f" ({unlogged} more not logged since the last message)" if unlogged else ""
        self.logger.warning("%s Failures in a row: %d%s; alerts waiting for it: %d.", problem, in_a_row, more, waiting)

    async def _wait(self, wake: asyncio.Event, seconds: float | None) -> None:
        """Until ``wake`` is set, or ``seconds`` of (injected) sleep have passed."""
        if seconds is None:
            await wake.wait()
            return
        waiter = asyncio.ensure_future(wake.wait())
        sleeper = asyncio.ensure_future(self.sleep(max(seconds, 0.0)))
        try:
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, sleeper):
                task.cancel()
            await asyncio.gather(waiter, sleeper, return_exceptions=True)
