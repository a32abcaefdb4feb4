"""``serve`` writes what each poll read to the ledger, when one is named (``--ledger`` or ``ledger =
"..."`` in the config file): ``/credits``, the account's keys (a discovering key's listing) and
``/activity`` when the poll read them afresh. Writes run in a thread, one at a time; a write that
fails is logged once per kind of failure and the poll goes on (the next sync fills what is missing).
After each write the same thread reads what the status page shows of the ledger (``view``: the
last 12 months, and how the sources agreed over the last 30 days), so the page never reads the
ledger on the event loop. Each poll's forecast rests on the ledger's longer history
(``with_history``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from .._logging import EXPORTER_LOGGER

if TYPE_CHECKING:
    from .._activity import DailySpend
    from .._balance import Balance
    from ..ledger import Ledger
    from ._page_ledger import LedgerView

__all__ = ["AGREEMENT_DAYS", "LedgerWriter", "ledger_view"]

#: The days over which the status page says how the ledger's sources agreed.
AGREEMENT_DAYS = 30

logger = logging.getLogger(EXPORTER_LOGGER)


class LedgerWriter:
    """Writes a management key's poll results to ``ledger``."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._lock = asyncio.Lock()
        self._failing: str | None = None
        #: What the status page shows of the ledger, as last read (None before the first write).
        self.view: LedgerView | None = None
        #: The ledger's days before /activity's, as last read, with (the day read, /activity's first day).
        self._older: tuple[tuple[dt.date, dt.date], list[DailySpend]] | None = None

    async def record(self, name: str, balance: Any, keys: Any, activity: Any, now: dt.datetime) -> None:
        """Write what the poll of key ``name`` read afresh (None: not read this time)."""
        key = getattr(balance, "key", None)
        if balance is None or key is None or not key.is_management_key:
            return  # an ordinary key sees no account figures
        async with self._lock:
            try:
                await asyncio.to_thread(self._write, balance.credits, keys, activity, now)
            except Exception as error:  # the ledger's errors and any other: logged, never the poll's
                kind = getattr(error, "kind", type(error).__name__)
                if self._failing != kind:
                    logger.warning("Key %s: the ledger was not written (%s): %s", name, kind, error)
                self._failing = kind
                from ._page_ledger import LedgerView

                self.view = LedgerView(unreadable=kind)  # the page says so, never the file's path
            else:
                if self._failing is not None:
                    logger.info("Key %s: the ledger is written again", name)
                self._failing = None

    def _write(self, credits: Any, keys: Any, activity: Any, now: dt.datetime) -> None:
        from ..ledger._sync import record_activity

        if credits is not None:
            self.ledger.record_credits(credits.total_credits, credits.total_usage, now)
        if keys is not None:
            self.ledger.record_keys(keys, now)
        if activity is not None:
            record_activity(self.ledger, activity, now)
        self.view = ledger_view(self.ledger, now.date())

    def close(self) -> None:
        self.ledger.close()

    async def with_history(self, balance: Balance) -> Balance:
        """``balance``, its forecast made from the ledger's longer history: the ledger's days before
        the 30 of ``/activity``, read in a thread once a UTC day (they change little), then those 30.
        As it is when it has no daily spend or the ledger cannot be read (the write says so)."""
        recent = balance.daily_spend
        if not recent:
            return balance
        key = (balance.at.date(), recent[0].date)
        if self._older is None or self._older[0] != key:
            from ..ledger._history import spend_history

            async with self._lock:
                try:
                    days = await asyncio.to_thread(spend_history, self.ledger, key[0], recent=recent)
                except Exception:  # the ledger's errors and any other: the 30 days alone, never the poll's
                    return balance
            self._older = (key, days[: len(days) - len(recent)])
        return balance.reforecast([*self._older[1], *recent])


def ledger_view(ledger: Ledger, today: dt.date) -> LedgerView:
    """What the status page shows of ``ledger`` on ``today``: the 12 months before this one and this
    one so far, and the sources side by side over the last AGREEMENT_DAYS completed days."""
    from ..ledger._nano import NANO
    from ..ledger._reconcile import reconcile
    from ..ledger._reports import months
    from ._page_ledger import LedgerView, MonthSpend

    found = [
        MonthSpend(
            month.start, None if month.usage_nano is None else month.usage_nano / NANO, month.gaps, month.current
        )
        for month in months(ledger, today)
    ]
    start, end = today - dt.timedelta(days=AGREEMENT_DAYS), today - dt.timedelta(days=1)
    days = reconcile(ledger, start, end, today)
    known = [sum(figure is not None for figure in (r.activity, r.key_snapshots, r.analytics, r.credits)) for r in days]
    return LedgerView(
        tuple(found),
        start,
        end,
        compared=sum(count >= 2 for count in known),
        differing=tuple(r.day for r in days if r.differs),
        single=sum(count == 1 for count in known),
        gaps=sum(count == 0 for count in known),
    )
