"""``serve`` writes what each poll read to the ledger, when one is named (``--ledger`` or ``ledger =
"..."`` in the config file): ``/credits``, the account's keys (a discovering key's listing) and
``/activity`` when the poll read them afresh. Writes run in a thread, one at a time; a write that
fails is logged once per kind of failure and the poll goes on (the next sync fills what is missing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..ledger import Ledger

__all__ = ["LedgerWriter"]

logger = logging.getLogger("openrouter_credits.exporter")


class LedgerWriter:
    """Writes a management key's poll results to ``ledger``."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._lock = asyncio.Lock()
        self._failing: str | None = None

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

    def close(self) -> None:
        self.ledger.close()
