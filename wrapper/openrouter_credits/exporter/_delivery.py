"""Alerts on their way: a persisted outbox, and a deliverer that empties it with one worker per channel.

A poll that finds an alert due puts it in the ``Outbox`` (one entry per channel) and goes on: the post
itself happens in the ``Deliverer``'s worker for that channel, so a slow or failing receiver never
delays /metrics, a poll, or another channel.

Delivery is at least once:

- ``Outbox.put`` writes the outbox file (atomically, fsynced) before it returns, and an entry leaves
  the file only after its channel took it. Entries left by a previous run are delivered on start.
- A kill -9 between a successful post and the removal of its entry sends that alert once more after
  the restart: at most one duplicate per entry and crash.
- A post abandoned at its timeout may still have reached the receiver (it may have taken it and been
  slow to answer): the retry can then deliver it a second time. The worker never has two posts of one
  channel in flight, so these are the only duplicates; a receiver that answers in time gets each
  entry exactly once.

A failed post is tried again after ``backoff(n)`` seconds (``n``: the channel's failures in a row;
2, 4, 8, ... capped at 5 minutes). After ``retries`` failed attempts an entry goes behind the
channel's other entries for ``retry_later`` seconds (one bad alert does not block the others), and
stays in the outbox: nothing is dropped, except the entries of a channel no longer configured, which
are dropped at start with a warning. Failures are logged without secrets, at most once a minute per
channel, with the number of failures not shown since the last line.

Time is injected (``sleep``, ``clock``): tests give a fake sleep that advances a fake clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx

from .. import _defaults
from .._logging import EXPORTER_LOGGER
from ._channels import Alert, Channel, DeliveryError
from ._statedir import read_json, write_json

__all__ = ["Deliverer", "Entry", "Outbox", "default_backoff"]

_logger = logging.getLogger(EXPORTER_LOGGER)

#: The outbox file's format; a file of another version is moved aside like a corrupt one.
OUTBOX_VERSION = 1
#: Extra time a send gets beyond its own timeout before the worker gives up on it (a channel that
#: blocks in a thread, like email, cannot be interrupted sooner than its socket timeout).
GRACE = 1.0


def default_backoff(failures: int) -> float:
    """Seconds before the next attempt after ``failures`` failures in a row: 2, 4, 8, ... up to 5 minutes."""
    return min(2.0 ** max(failures, 1), _defaults.MAX_DELIVERY_BACKOFF)


@attrs.frozen
class Entry:
    """One alert for one channel, waiting in the outbox."""

    id: str
    channel: str
    alert: Alert


ALERT_FIELDS = tuple(field.name for field in attrs.fields(Alert))


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {"id": entry.id, "channel": entry.channel, "alert": attrs.asdict(entry.alert)}


def _valid_outbox(value: Any) -> bool:
    """The outbox file's shape: {"version": 1, "entries": [{"id", "channel", "alert": {...}}]}."""
    if not isinstance(value, dict) or value.get("version") != OUTBOX_VERSION:
        return False
    entries = value.get("entries")
    if not isinstance(entries, list):
        return False
    for item in entries:
        if not isinstance(item, dict) or set(item) != {"id", "channel", "alert"}:
            return False
        alert = item["alert"]
        if not isinstance(item["id"], str) or not isinstance(item["channel"], str) or not isinstance(alert, dict):
            return False
        if set(alert) != set(ALERT_FIELDS) or not all(isinstance(alert[name], str) for name in ALERT_FIELDS):
            return False
        Alert(**alert)  # a wrong severity raises ValueError: the file counts as corrupt
    return True


class Outbox:
    """Alerts waiting for their channels, kept in ``path`` (None: in memory only), in order.

    Use it from the event loop's thread: listeners are called synchronously on each change."""

    def __init__(self, path: Path | None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._entries: dict[str, Entry] = {}
        self._listeners: list[Callable[[str], None]] = []
        if path is not None:
            loaded = read_json(path, _valid_outbox, clock=clock)
            for item in [] if loaded is None else loaded["entries"]:
                entry = Entry(item["id"], item["channel"], Alert(**item["alert"]))
                self._entries[entry.id] = entry

    def put(self, alert: Alert, channels: Iterable[str]) -> list[Entry]:
        """Queue ``alert`` for each of ``channels``; written to the file before this returns."""
        added = [Entry(uuid.uuid4().hex, channel, alert) for channel in channels]
        for entry in added:
            self._entries[entry.id] = entry
        self._persist()
        for entry in added:
            self._notify(entry.channel)
        return added

    def remove(self, entry_id: str) -> None:
        """Forget a delivered entry (and write the file)."""
        entry = self._entries.pop(entry_id, None)
        if entry is not None:
            self._persist()
            self._notify(entry.channel)

    def entries(self, channel: str | None = None) -> list[Entry]:
        """The waiting entries, oldest first: all, or those of one channel."""
        return [entry for entry in self._entries.values() if channel is None or entry.channel == channel]

    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(channel)`` whenever an entry of ``channel`` is added or removed."""
        self._listeners.append(listener)

    def __len__(self) -> int:
        return len(self._entries)

    def _notify(self, channel: str) -> None:
        for listener in self._listeners:
            listener(channel)

    def _persist(self) -> None:
        if self.path is None:
            return
        document = {"version": OUTBOX_VERSION, "entries": [_entry_json(e) for e in self._entries.values()]}
        try:
            write_json(self.path, document)
        except OSError as exc:
            # The alerts still go out from memory; only a restart before then would lose them.
            _logger.warning("Could not write the alert outbox %s: %s", self.path, exc.strerror or exc)


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
        retry_later: float = _defaults.MAX_DELIVERY_BACKOFF,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = _logger,
        log_every: float = _defaults.DELIVERY_LOG_EVERY,
    ) -> None:
        self.outbox = outbox
        self.channels = dict(channels)
        self.timeout = timeout
        self.retries = max(retries, 1)
        self.backoff = backoff
        self.retry_later = retry_later
        self.sleep = sleep
        self.clock = clock
        self.logger = logger
        self.log_every = log_every
        #: Alerts delivered and attempts that failed, by channel (for tests, and metrics to come).
        self.delivered: dict[str, int] = dict.fromkeys(self.channels, 0)
        self.failures: dict[str, int] = dict.fromkeys(self.channels, 0)
        self._wake = {name: asyncio.Event() for name in self.channels}
        self._changed = asyncio.Event()
        self._last_log: dict[str, float] = {}
        self._unlogged: dict[str, int] = dict.fromkeys(self.channels, 0)
        outbox.subscribe(self._on_change)

    def _on_change(self, channel: str) -> None:
        if channel in self._wake:
            self._wake[channel].set()
        self._changed.set()

    def pending(self) -> int:
        """How many entries wait for the configured channels."""
        return sum(1 for entry in self.outbox.entries() if entry.channel in self.channels)

    async def run(self) -> None:
        """Deliver until cancelled (entries left from a previous run first)."""
        for entry in self.outbox.entries():
            if entry.channel not in self.channels:
                self.logger.warning(
                    "Dropping an alert for channel %s, which is no longer configured: %s",
                    entry.channel,
                    entry.alert.title,
                )
                self.outbox.remove(entry.id)
        headers = {"User-Agent": _defaults.USER_AGENT}
        async with httpx.AsyncClient(headers=headers, follow_redirects=False, timeout=self.timeout) as http:
            workers = [asyncio.create_task(self._work(name, http), name=f"deliver {name}") for name in self.channels]
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

    async def _work(self, name: str, http: httpx.AsyncClient) -> None:
        channel = self.channels[name]
        wake = self._wake[name]
        not_before: dict[str, float] = {}  # entries that used up their retries: when to try them again
        tries: dict[str, int] = {}  # each entry's failed attempts since it was last set aside
        in_a_row = 0  # the channel's failures in a row: they set the backoff
        while True:
            wake.clear()
            now = self.clock()
            entries = self.outbox.entries(name)
            due = [entry for entry in entries if not_before.get(entry.id, now) <= now]
            if not due:
                later = [not_before[entry.id] - now for entry in entries if entry.id in not_before]
                await self._wait(wake, min(later) if later else None)
                continue
            entry = due[0]
            problem = await self._attempt(channel, entry, http)
            if problem is None:
                self.outbox.remove(entry.id)
                not_before.pop(entry.id, None)
                tries.pop(entry.id, None)
                if in_a_row:
                    self.logger.info("%s delivers again", channel.describe())
                in_a_row = 0
                continue
            in_a_row += 1
            tries[entry.id] = tries.get(entry.id, 0) + 1
            if tries[entry.id] >= self.retries:
                tries[entry.id] = 0
                not_before[entry.id] = self.clock() + self.retry_later
            self._failed(channel, problem, in_a_row)
            await self.sleep(self.backoff(in_a_row))

    async def _attempt(self, channel: Channel, entry: Entry, http: httpx.AsyncClient) -> str | None:
        """One send: None when the channel took the alert, else what went wrong (no secret in it)."""
        try:
            async with asyncio.timeout(self.timeout + GRACE):
                await channel.send(entry.alert, http, timeout=self.timeout)
        except DeliveryError as exc:
            return str(exc)
        except TimeoutError:
            return f"{channel.describe()} gave no answer within {self.timeout:g} s."
        except Exception:  # a bug, not the receiver's doing: logged with its traceback (redacted)
            self.logger.exception("%s failed unexpectedly", channel.describe())
            return f"{channel.describe()} failed unexpectedly."
        self.delivered[channel.name] += 1
        self.logger.info("Alert sent to %s: %s", channel.describe().removeprefix("The "), entry.alert.title)
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
        self.logger.warning(
            "%s Failures in a row: %d%s; alerts waiting for it: %d, kept until delivered.",
            problem,
            in_a_row,
            more,
            waiting,
        )

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
