"""The account's activity: 30 completed UTC days of ``GET /activity``, and the spend of each day.

The one home of the 30-day window (``completed_days``), which the mock imports too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ._money import exact_quotient, exact_sum

if TYPE_CHECKING:
    from openrouter_credits_client.models.activity_item import ActivityItem

__all__ = ["ACTIVITY_DAYS", "WEEK", "Activity", "DailySpend", "completed_days", "spend_per_day"]

#: GET /activity covers this many completed UTC days; the spend per day averages the last WEEK of them.
ACTIVITY_DAYS = 30
WEEK = 7


def completed_days(today: dt.date, days: int = ACTIVITY_DAYS) -> list[dt.date]:
    """The ``days`` completed UTC days before ``today``, oldest first."""
    return [today - dt.timedelta(days=back) for back in range(days, 0, -1)]


class DailySpend(NamedTuple):
    """The dollars spent on one UTC day."""

    date: dt.date
    usage: float


def spend_per_day(daily: Sequence[DailySpend]) -> float:
    """The spend of the last ``WEEK`` days of ``daily`` (oldest first), divided by ``WEEK``."""
    return exact_quotient(exact_sum(d.usage for d in daily[-WEEK:]), WEEK)


class Activity:
    """The account's activity: the rows of ``GET /activity`` and the spend of each of the 30 completed
    UTC days before ``today`` (a day without rows spent 0). Immutable."""

    __slots__ = ("daily_spend", "rows", "today")

    rows: tuple[ActivityItem, ...]
    today: dt.date
    daily_spend: tuple[DailySpend, ...]

    def __init__(self, rows: Iterable[ActivityItem], today: dt.date) -> None:
        rows = tuple(rows)
        days = completed_days(today)
        by_day: dict[str, list[float]] = {day.isoformat(): [] for day in days}
        for row in rows:
            amounts = by_day.get(row.date)
            if amounts is not None:
                amounts.append(row.usage)
        spend = tuple(DailySpend(day, exact_sum(by_day[day.isoformat()])) for day in days)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "today", today)
        object.__setattr__(self, "daily_spend", spend)

    @property
    def total(self) -> float:
        """Dollars spent over the 30 days."""
        return exact_sum(day.usage for day in self.daily_spend)

    @property
    def spend_per_day(self) -> float:
        """The average over the last 7 completed UTC days."""
        return spend_per_day(self.daily_spend)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Activity is immutable: cannot set {name!r}")

    def __repr__(self) -> str:
        return f"Activity(today={self.today.isoformat()}, rows={len(self.rows)}, total={self.total!r})"
