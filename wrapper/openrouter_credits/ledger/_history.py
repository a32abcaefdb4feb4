"""The ledger's daily spend as a forecast's history: more weeks than the 30 days of ``/activity``, so
that the weekday model's shape rests on more of them (``_forecast``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .._activity import DailySpend
from .._forecast_model import LONGEST_HISTORY
from ._ledger import Ledger
from ._nano import dollars
from ._reports import day_totals

__all__ = ["spend_history"]


def spend_history(
    ledger: Ledger, today: dt.date, *, recent: Sequence[DailySpend] = (), days: int = LONGEST_HISTORY
) -> list[DailySpend]:
    """The spend of the ``days`` completed UTC days before ``today`` that the ledger holds whole,
    oldest first: a day no source covered, or covered only in part, is left out (the forecast takes
    the most recent unbroken run of days). ``recent`` (the 30 days of ``/activity``, oldest first)
    takes the place of the ledger's days from its first on."""
    first = today - dt.timedelta(days=days)
    end = (recent[0].date if recent else today) - dt.timedelta(days=1)
    older = [
        DailySpend(total.day, float(dollars(total.usage_nano)))
        for total in (day_totals(ledger, first, end) if first <= end else [])
        if total.usage_nano is not None and total.complete
    ]
    return [*older, *recent]
