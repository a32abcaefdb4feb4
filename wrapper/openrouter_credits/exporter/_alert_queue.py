"""What a poll's answers call for, on its way to the channels: the alerts due (``_alerts``) put in the
outbox (``_outbox``), a poll's at once (one write, off the event loop), before their states move.

- A crash between the outbox's write and the states' repeats an alert rather than losing one; the
  entries are held from delivery until the states are written too, so a receiver never hears of an
  alert a crash could still repeat.
- A listing of thousands of keys is checked ``ALERTS_CHUNK`` keys at a time, the event loop free
  between two (scrapes are answered meanwhile).
- A key whose alerts go to no channel keeps its states (it was warned of at start).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from .._apps.config_file import KeySpec
from ._alert import Alert
from ._alerts import AlertBook, Due, alerts_due, key_alerts_due, listed_key_state
from ._outbox import Outbox
from ._poll import KeyState

__all__ = ["ALERTS_CHUNK", "AlertQueue"]

#: A listing's keys are checked for alerts this many at a time, the event loop free between two.
ALERTS_CHUNK = 200


class AlertQueue:
    """Queues the alerts of each poll in ``outbox``, the thresholds' states in ``book``; ``routes``
    names the channels of a key's alerts (as they are now: a reload may change them); ``clock`` is
    the exporter's (seconds since the epoch)."""

    def __init__(
        self,
        book: AlertBook,
        outbox: Outbox,
        routes: Callable[[KeySpec], tuple[str, ...]],
        *,
        clock: Callable[[], float],
    ) -> None:
        self.book = book
        self.outbox = outbox
        self.routes = routes
        self.clock = clock

    async def check(self, state: KeyState) -> None:
        """Queue what the poll's balance calls for (``below``, ``days_below``, ``spike``)."""
        if state.balance is None or not self.routes(state.spec):
            return
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        await self.queue(state.spec, alerts_due(state.spec, state.balance, self.book, now, state.today_spend()))

    async def check_listing(self, state: KeyState, keys: list[Any]) -> None:
        """Queue the alerts of a discovering key's listing (``key_below_fraction``, ``key_will_exhaust``),
        each with the listed key's name, never a secret; forget the states of keys no longer listed."""
        spec = state.spec
        self.book.prune(f"{spec.name}/", {listed_key_state(spec, key) for key in keys})
        if (spec.key_below_fraction is None and not spec.key_will_exhaust) or not self.routes(spec):
            return
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        due: list[Due] = []
        for start in range(0, len(keys), ALERTS_CHUNK):  # thousands of keys: scrapes are answered between chunks
            due += key_alerts_due(spec, keys[start : start + ALERTS_CHUNK], now, self.book)
            await asyncio.sleep(0)
        await self.queue(spec, due)

    async def notify(self, spec: KeySpec, alert: Alert) -> None:
        """One alert (a guard's) to ``spec``'s channels, through the outbox (written before it goes)."""
        routes = self.routes(spec)
        if not routes:
            return
        entries = self.outbox.put_all([(alert, routes)], held=True)
        try:
            await self.outbox.flush()
        finally:
            self.outbox.release(entries)

    async def queue(self, spec: KeySpec, due: list[Due]) -> None:
        """Put ``due`` in the outbox, written (off the event loop) before the states move, held from
        delivery until the states are written too."""
        routes = self.routes(spec)
        if not due or not routes:
            return
        entries = self.outbox.put_all(((item.alert, routes) for item in due), held=True)
        try:
            await self.outbox.flush()
            for item in due:
                for threshold in item.thresholds:
                    self.book.set(item.subject, threshold, item.crossed)
            await self.book.flush()
        finally:
            self.outbox.release(entries)
