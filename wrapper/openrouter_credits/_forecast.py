"""Forecasts of daily spend: the one model behind every projection (days left, a limit's window at its
reset, the month's end, what today should have spent by now). Pure functions of the history and the
time they are given (``at``); nothing here does I/O or reads a clock.

``forecast_spend(daily, at=...)`` makes a ``Forecast`` that names its method and gives a range:

- ``"weekday"``, with ``MIN_HISTORY_DAYS`` days of spend or more: a level for each day of the week,
  adjusted to the recent level, with an 80 % range from the model's own past errors
  (``_forecast_model`` says how);
- ``"7-day average"`` (``"N-day average"`` when spending began fewer than 7 days ago) with less
  history, or when spending began fewer than ``MIN_HISTORY_DAYS`` days ago (a new key's zeros before
  its first spend are not history): exactly the spend of those days over their number, ``reason``
  saying why, its range from their spread;
- ``"window average"`` (``pace_forecast``): a limit window's usage over the days elapsed in it, for a
  key whose daily spend is not known, without a range.

The history's amounts are summed exactly (``_money``); what is forecast is a statistic, in floats.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Final, NamedTuple

import attrs

from ._forecast_model import (
    HORIZON_DAYS,
    MIN_HISTORY_DAYS,
    Band,
    error_bands,
    recent_average,
    spend_began,
    spread_bands,
    weekday_pattern,
)
from ._money import exact_sum
from ._windows import utc

__all__ = [
    "AVERAGE",
    "HORIZON_DAYS",
    "MIN_HISTORY_DAYS",
    "WEEKDAY",
    "WINDOW_AVERAGE",
    "DayForecast",
    "DaysLeft",
    "Forecast",
    "Range",
    "forecast_spend",
    "method_words",
    "pace_forecast",
]

WEEKDAY: Final = "weekday"
AVERAGE: Final = "7-day average"
WINDOW_AVERAGE: Final = "window average"
_DAY: Final = dt.timedelta(days=1)
_WALKED: Final = 14  # days walked one by one before whole weeks are jumped (see Forecast._time_to)
_NEVER: Final = 1e9  # days: an amount that lasts longer lasts past any calendar


def method_words(method: str) -> str:
    """How text names a forecast of ``method``: ``the weekday forecast``, ``the 7-day average``."""
    return "the weekday forecast" if method == WEEKDAY else f"the {method}"


class Range(NamedTuple):
    """A forecast amount in dollars: central, and the low and high ends of its 80 % range (None when no
    range can be measured: a pace without a daily history)."""

    central: float
    low: float | None
    high: float | None


class DayForecast(NamedTuple):
    """The forecast spend of one UTC day in dollars: central and its 80 % range (None: see ``Range``)."""

    date: dt.date
    central: float
    low: float | None
    high: float | None


class DaysLeft(NamedTuple):
    """How long an amount lasts, in days from the forecast's ``at``: at the central spend; at the high
    end of the spend's range (``low``); at its low end (``high``: ``math.inf`` when the low end spends
    nothing, so that the amount never runs out). ``low`` and ``high`` are None when no range can be
    measured."""

    central: float
    low: float | None
    high: float | None


@attrs.frozen
class Forecast:
    """What a history of daily spend says of the days to come, from ``at`` (an aware UTC time).

    - ``method``: ``"weekday"``, ``"7-day average"`` (``"N-day average"``), or ``"window average"``
      (``pace_forecast``); ``reason``: why it is not the weekday model (None when it is);
    - ``pattern``: the central spend of each day of the week, Monday first (dollars a day);
    - ``day_band``: the low and high ends of a day's 80 % range, as multiples of its central spend;
    - ``span_bands``: the same for 1 to 7 days' spend together (a longer span takes the 7 days': the
      level's error does not average out, and spend drifts); both None when no range is measured;
    - ``history_days``: the days of history the model used; ``history_end``: the last of them;
    - ``month_to_date``: the exact spend of the history's days of the month of ``at`` (None when the
      history does not reach back to the month's first day).

    Everything else (``daily``, ``spend_per_day``, ``spend_between``, ``days_left``, ``runs_out_at``,
    ``month_end_spend``) comes from these: one model for every projection.
    """

    method: str
    reason: str | None
    at: dt.datetime = attrs.field(converter=utc)
    pattern: tuple[float, ...]
    day_band: Band | None
    span_bands: tuple[Band, ...] | None
    history_days: int
    history_end: dt.date | None = None
    month_to_date: float | None = None

    @property
    def daily(self) -> tuple[DayForecast, ...]:
        """Today (the UTC day of ``at``, whole) and the days after it, ``HORIZON_DAYS`` in all."""
        start = self.at.date()
        days = [start + dt.timedelta(days=n) for n in range(HORIZON_DAYS)]
        return tuple(DayForecast(day, *_banded(self.pattern[day.weekday()], self.day_band)) for day in days)

    @property
    def spend_per_day(self) -> float:
        """The central spend of an average day of the coming week (dollars)."""
        if len(set(self.pattern)) == 1:
            return self.pattern[0]  # an average, exactly as computed
        return math.fsum(self.pattern) / 7

    def spend_between(self, start: dt.datetime, end: dt.datetime) -> Range:
        """The spend from ``start`` to ``end`` (aware times; naive ones are UTC) with its range, each
        day's spend spread evenly over its hours: ``spend_between(midnight, at)`` is what today should
        have spent by ``at``, ``spend_between(at, reset)`` what a limit's window adds by its reset."""
        start, end = utc(start), utc(end)
        central = self._central(start, end)
        return Range(*_banded(central, self._span_band((end - start) / _DAY)))

    def days_left(self, amount: float) -> DaysLeft | None:
        """How many days ``amount`` dollars last from ``at``: 0 when nothing is left (or less than
        nothing); None when the forecast spends nothing (or so little that no calendar reaches it)."""
        if amount <= 0:
            return DaysLeft(0.0, 0.0, 0.0)
        per_day = self.pattern[0]
        if self.span_bands is None and self.pattern.count(per_day) == 7:  # a pace: a straight line
            days = amount / per_day if per_day > 0 else math.inf
            return DaysLeft(days, None, None) if days < _NEVER else None
        central = self._time_to(amount, lambda _: 1.0)
        if central is None:
            return None
        bands = self.span_bands
        if bands is None:
            return DaysLeft(central, None, None)
        low = self._time_to(amount, lambda k: bands[k][1])
        high = self._time_to(amount, lambda k: bands[k][0])
        return DaysLeft(central, central if low is None else low, math.inf if high is None else high)

    def runs_out_at(self, amount: float) -> dt.datetime | None:
        """When ``amount`` dollars are spent at the central pace from ``at`` (``at`` itself when
        nothing is left); None when the forecast spends nothing, or past the calendar's end."""
        left = self.days_left(amount)
        if left is None:
            return None
        try:
            return self.at + dt.timedelta(days=left.central)
        except OverflowError:
            return None

    def month_end_spend(self, spent_so_far: float | None = None) -> Range | None:
        """The spend of the calendar month of ``at`` by its end, with its range: ``spent_so_far`` (what
        was spent this month up to ``at``, when the caller knows it) plus the forecast from ``at``;
        else ``month_to_date`` plus the forecast from the day after the history to the month's end.
        None when neither is known."""
        year, month = (self.at.year + 1, 1) if self.at.month == 12 else (self.at.year, self.at.month + 1)
        end = dt.datetime(year, month, 1, tzinfo=dt.UTC)
        if spent_so_far is not None:
            known, start = spent_so_far, self.at
        elif self.month_to_date is not None and self.history_end is not None:
            known = self.month_to_date
            first = dt.datetime.combine(self.at.date().replace(day=1), dt.time(), dt.UTC)
            start = max(dt.datetime.combine(self.history_end + _DAY, dt.time(), dt.UTC), first)
        else:
            return None
        rest = self.spend_between(start, end)
        return Range(
            known + rest.central,
            None if rest.low is None else known + rest.low,
            None if rest.high is None else known + rest.high,
        )

    def _span_band(self, days: float) -> Band | None:
        if self.span_bands is None:
            return None
        return self.span_bands[min(max(math.ceil(days), 1), len(self.span_bands)) - 1]

    def _central(self, start: dt.datetime, end: dt.datetime) -> float:
        """The central spend from ``start`` to ``end``: whole weeks at once, the days around them one by one."""
        if self.pattern.count(self.pattern[0]) == 7:  # the same every day
            return self.pattern[0] * max((end - start) / _DAY, 0.0)
        total = 0.0
        day = dt.datetime.combine(start.date(), dt.time(), dt.UTC)
        weeks = max((end - day) // (7 * _DAY) - 1, 0)
        while day < end:
            if weeks and day >= start:
                total += weeks * math.fsum(self.pattern)
                day += weeks * 7 * _DAY
                weeks = 0
                continue
            overlap = (min(day + _DAY, end) - max(day, start)) / _DAY
            total += self.pattern[day.weekday()] * max(overlap, 0.0)
            day += _DAY
        return total

    def _time_to(self, amount: float, band: Callable[[int], float]) -> float | None:
        """Days from ``at`` until the spend reaches ``amount``: the central spend of the first k days
        times ``band(k - 1)`` (its range's end for k days, the 7 days' beyond), each day's spend
        spread evenly over its hours; None when it never does."""
        day = dt.datetime.combine(self.at.date(), dt.time(), dt.UTC)
        last = HORIZON_DAYS - 1
        elapsed = central = reached = 0.0
        for index in range(_WALKED):
            length = (day + _DAY - max(day, self.at)) / _DAY
            spend = self.pattern[day.weekday()] * length
            scaled = max(reached, (central + spend) * band(min(index, last)))
            if scaled >= amount:
                return elapsed + length * (amount - reached) / (scaled - reached)
            elapsed, central, reached, day = elapsed + length, central + spend, scaled, day + _DAY
        weekly = math.fsum(self.pattern) * band(last)
        if weekly <= 0:
            return None
        weeks = (amount - reached) / weekly - 1
        if 7 * weeks > _NEVER:
            return None
        elapsed += 7 * max(math.floor(weeks), 0)
        reached += weekly * max(math.floor(weeks), 0)
        while True:  # at most two weeks more, day by day (weekdays repeat: day need not move on by weeks)
            spend = self.pattern[day.weekday()] * band(last)
            if reached + spend >= amount:
                return elapsed + (amount - reached) / spend
            elapsed, reached, day = elapsed + 1, reached + spend, day + _DAY


def _banded(central: float, band: Band | None) -> tuple[float, float | None, float | None]:
    return (central, None, None) if band is None else (central, central * band[0], central * band[1])


class _History(NamedTuple):
    values: list[float]
    first: dt.date
    last: dt.date


def _history(daily: Sequence[tuple[dt.date, float]], today: dt.date) -> _History | None:
    """The most recent unbroken run of days of ``daily`` (a day missing from it breaks the run); None
    when it is empty. Raises ValueError for days out of order or not before ``today``, or a spend
    that is not a finite number of dollars, 0 or more."""
    values: list[float] = []
    first = previous = None
    for index, (date, usage) in enumerate(daily):
        amount = float(usage)
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(f"daily[{index}] spent {usage!r}: a day's spend is a finite number of dollars, 0 or more")
        if date >= today:
            raise ValueError(f"daily[{index}] is {date.isoformat()}: the history is of completed days before today")
        if previous is not None and date <= previous:
            raise ValueError(f"daily[{index}] is {date.isoformat()}, not after {previous.isoformat()}: days in order")
        if previous is None or date - previous != _DAY:
            values, first = [], date
        values.append(amount)
        previous = date
    if first is None or previous is None:
        return None
    return _History(values, first, previous)


def _month_to_date(history: _History, today: dt.date) -> float | None:
    """The exact spend of the history's days of the month of ``today``; None when the history begins
    after the month's first day (the days before are unknown)."""
    month_start = today.replace(day=1)
    if history.first > month_start and today != month_start:
        return None
    return exact_sum(history.values[max((month_start - history.first).days, 0) :])


def forecast_spend(daily: Sequence[tuple[dt.date, float]], *, at: dt.datetime) -> Forecast:
    """The forecast of the days from ``at`` (an aware time; naive is UTC), given the spend of the
    completed UTC days before it, oldest first: ``Activity.daily_spend``, or a ledger's days.

    The weekday model with ``MIN_HISTORY_DAYS`` days of spend or more (counted from the first day
    with spend); else the average of the last 7 days (of the days since spending began, when fewer),
    ``reason`` saying why. Only the most recent unbroken run of days counts. Raises ValueError for
    days out of order, on or after the day of ``at``, or a spend that is not a finite number, 0 or more.
    """
    at = utc(at)
    history = _history(daily, at.date())
    if history is None:
        return _flat(at, 0, "there is no history of spend", None, None)
    values = history.values
    began = spend_began(values)
    active = values[began:]
    weekday = (history.first.weekday() + began) % 7
    month_to_date = _month_to_date(history, at.date())
    if len(active) >= MIN_HISTORY_DAYS:
        pattern, level_days = weekday_pattern(active, weekday)
        bands = error_bands(active, weekday, level_days, pattern)
        if bands is not None:
            day_band, span_bands = bands
            return Forecast(
                WEEKDAY, None, at, tuple(pattern), day_band, span_bands, len(active), history.last, month_to_date
            )
    if not active:
        reason = f"nothing was spent in the {len(values)} days of history"
        return _flat(at, len(values), reason, history, month_to_date)
    average, days = recent_average(active)
    if len(values) < MIN_HISTORY_DAYS:
        reason = f"only {len(values)} days of history; the weekday model needs {MIN_HISTORY_DAYS}"
    elif len(active) < MIN_HISTORY_DAYS:
        reason = f"spending began {len(active)} days ago; the weekday model needs {MIN_HISTORY_DAYS} days of it"
    else:
        reason = "too few days with spend to measure the weekday model's errors"
    if days < 7:
        reason += f" (the average of the {days} days since spending began)"
    method = AVERAGE if days == 7 else f"{days}-day average"
    day_band, span_bands = spread_bands(active[-days:], average)
    return Forecast(method, reason, at, (average,) * 7, day_band, span_bands, days, history.last, month_to_date)


def _flat(at: dt.datetime, days: int, reason: str, history: _History | None, month_to_date: float | None) -> Forecast:
    """Nothing spent every day, with a range of nothing: no history, or one that spent nothing."""
    bands = ((1.0, 1.0), ((1.0, 1.0),) * HORIZON_DAYS)
    end = None if history is None else history.last
    return Forecast(AVERAGE, reason, at, (0.0,) * 7, *bands, days, end, month_to_date)


def pace_forecast(spent: float, days: float, *, at: dt.datetime) -> Forecast:
    """A flat forecast of ``spent`` dollars over ``days`` days (a limit window's usage so far over the
    days elapsed in it), for a key whose daily spend is not known: ``"window average"``, without a
    range (none can be measured). Raises ValueError unless ``days`` is above 0 and ``spent`` a finite
    number, 0 or more."""
    if not days > 0 or not math.isfinite(days):
        raise ValueError(f"a pace needs a finite span of time above 0 days, not {days!r}")
    if not math.isfinite(spent) or spent < 0:
        raise ValueError(f"a pace needs a finite amount spent, 0 or more, not {spent!r}")
    return Forecast(WINDOW_AVERAGE, _PACE_REASON, at, (spent / days,) * 7, None, None, 0)  # a key's path: direct


_PACE_REASON: Final = "no daily history: the pace of the window so far, without a range"
