"""The deliverer: empties the outbox (``_outbox``) with one worker per channel.

A poll that finds alerts due puts them in the ``Outbox`` (one entry per channel) and goes on: the post
itself happens in the ``Deliverer``'s worker for that channel, so a slow or failing receiver never
delays /metrics, a poll, or another channel; and no disk work runs on the event loop (``StateFile``).

Delivery is at least once (``_outbox`` says how the file keeps it):

- A kill -9 between a successful post and the write that forgets its entry sends that alert once
  more after the restart: at most one duplicate per entry and crash.
- A post abandoned at its timeout may still have reached the receiver (it may have taken it and been
  slow to answer): the retry can then deliver it a second time. The worker never has two posts of one
  channel in flight, so these are the only duplicates; a receiver that answers in time gets each
  entry exactly once.

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
from collections.abc import Awaitable, Callable, Mapping

import httpx

from .. import _defaults
from .._apps.metrics import Family
from .._logging import EXPORTER_LOGGER
from ._alert import summary
from ._channels import Channel, DeliveryError
from ._outbox import Entry, Outbox

__all__ = ["Deliverer", "default_backoff"]

_logger = logging.getLogger(EXPORTER_LOGGER)

#: Extra time a send gets beyond its own timeout before the worker gives up on it (a channel that
#: blocks in a thread, like email, cannot be interrupted sooner than its socket timeout).
GRACE = 1.0


def default_backoff(failures: int) -> float:
    """Seconds before the next attempt after ``failures`` failures in a row: 2, 4, 8, ... up to 5 minutes."""
    return min(2.0 ** min(max(failures, 1), 30), _defaults.MAX_DELIVERY_BACKOFF)


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

    def replaced(self, channels: Mapping[str, Channel]) -> Deliverer:
        """A reload's deliverer: this one's settings and outbox, for ``channels``; this one detached."""
        self.detach()
        return Deliverer(
            self.outbox,
            channels,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            sleep=self.sleep,
            clock=self.clock,
            logger=self.logger,
            log_every=self.log_every,
            group_limit=self.group_limit,
        )

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
