"""Forecasts of daily spend: the one model behind every projection (days left, a limit's window at its
reset, the month's end, what today should have spent by now). Pure functions of the history and the
time they are given (``at``); nothing here does I/O or reads a clock.

How a forecast is made (``forecast_spend``):

- ``"weekday"``, with ``MIN_HISTORY_DAYS`` days of spend or more: a level for each day of the week.
  The week's shape is the median, per weekday, of each day's share of its week (the last
  ``SHAPE_WEEKS`` whole weeks), shrunk towards a flat week as far as the weeks disagree (noise makes
  no pattern). The level is the spend of the last ``LEVEL_DAYS`` days (whole weeks) over what the
  shape expected of them, a spike counting at most ``SPIKE_CAP`` times a typical day; when the last
  week departs from the weeks before by more than ``SHIFT_Z`` standard errors, the last week's level.
  The range comes from the model's own errors on the history: refitted at each of the last days, its
  forecasts of the 7 days after each are compared with what was spent; a day's range spans the 10th
  to the 90th percentile of those ratios, several days' the normal sum of their spread.
- ``"7-day average"`` (``"N-day average"`` when spending began fewer than 7 days ago) with less
  history, or when spending began fewer than ``MIN_HISTORY_DAYS`` days ago (a new key's zeros before
  its first spend are not history): the spend of those days divided by their number, exactly,
  ``reason`` saying why; its range from the spread of the same days.

Amounts of the history are summed exactly (``_money``); what is forecast is a statistic, in floats.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Final, NamedTuple

import attrs

from ._money import exact_quotient, exact_sum
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
    "pace_forecast",
]

WEEKDAY: Final = "weekday"
AVERAGE: Final = "7-day average"
WINDOW_AVERAGE: Final = "window average"
#: Days of spend the weekday model needs; with fewer it falls back to the average.
MIN_HISTORY_DAYS: Final = 14
#: The days ``Forecast.daily`` lists (today first), and the longest span a range is measured for.
HORIZON_DAYS: Final = 7
#: The share of actual values a range is made to hold (from the 10th to the 90th percentile).
COVERAGE: Final = 0.8
#: The level is measured over at most this many days (whole weeks: every weekday counts alike).
LEVEL_DAYS: Final = 14
#: The last week alone sets the level when it departs from the weeks before by this many standard errors.
SHIFT_Z: Final = 2.5
#: The week's shape is measured over at most this many whole weeks (the most recent).
SHAPE_WEEKS: Final = 8
#: In the level, a day counts at most this many times what a typical day of the window spent.
SPIKE_CAP: Final = 3.0
#: The range is measured on forecasts made at each of at most this many days back.
RESIDUAL_ORIGINS: Final = 28
#: A day counts as spending at most this many times its forecast in the range (a day's spend against
#: a forecast of next to nothing).
MAX_RATIO: Final = 1e6
#: Errors needed to measure a range; with fewer the range comes from the spread of the days.
MIN_RESIDUALS: Final = 6

_DAY: Final = dt.timedelta(days=1)
_Z: Final = 1.2815515655446004  # the standard normal's 90th percentile
_LOW_Q: Final = (1 - COVERAGE) / 2
_HIGH_Q: Final = 1 - _LOW_Q
_WALKED: Final = 14  # days walked one by one before whole weeks are jumped (see Forecast._time_to)


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


_Band = tuple[float, float]  # multipliers of a central amount: its range's low and high ends


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
    day_band: _Band | None
    span_bands: tuple[_Band, ...] | None
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

    def _span_band(self, days: float) -> _Band | None:
        if self.span_bands is None:
            return None
        return self.span_bands[min(max(math.ceil(days), 1), len(self.span_bands)) - 1]

    def _central(self, start: dt.datetime, end: dt.datetime) -> float:
        """The central spend from ``start`` to ``end``: whole weeks at once, the days around them one by one."""
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
        if weeks > 1e9:  # past any calendar
            return None
        elapsed += 7 * max(math.floor(weeks), 0)
        reached += weekly * max(math.floor(weeks), 0)
        while True:  # at most two weeks more, day by day (weekdays repeat: day need not move on by weeks)
            spend = self.pattern[day.weekday()] * band(last)
            if reached + spend >= amount:
                return elapsed + (amount - reached) / spend
            elapsed, reached, day = elapsed + 1, reached + spend, day + _DAY


def _banded(central: float, band: _Band | None) -> tuple[float, float | None, float | None]:
    return (central, None, None) if band is None else (central, central * band[0], central * band[1])


# --- the models --------------------------------------------------------------------------------------


def _quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (linear between order statistics)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _variance(values: Sequence[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.fsum((value - mean) * (value - mean) for value in values) / (len(values) - 1)


def _percentile_band(values: Sequence[float], days: int) -> _Band:
    """The 10th and 90th percentiles of ``values``, measured on ``days`` distinct days: widened so that
    the band holds a new day's value 80 % of the time (between the i-th and j-th of n values, a new one
    falls with probability (j - i) / (n + 1); the plain percentiles hold it less often)."""
    if days < 2:
        return min(values), max(values)
    low = min(max((_LOW_Q * (days + 1) - 1) / (days - 1), 0.0), 0.5)
    high = max(min((_HIGH_Q * (days + 1) - 1) / (days - 1), 1.0), 0.5)
    return _quantile(values, low), _quantile(values, high)


def _around_one(band: _Band) -> _Band:
    """``band`` stretched to hold 1: a range always holds its central value."""
    return min(band[0], 1.0), max(band[1], 1.0)


def _span_bands(spread: float, level_days: int) -> tuple[_Band, ...]:
    """The range of 1 to 7 days' spend together, as multiples of their central sum, for days whose
    spend varies by ``spread`` (relative) around a level measured over ``level_days``: the days' own
    noise averages out (1 / k), the level's error does not (1 / level_days); a normal sum."""
    bands = []
    for k in range(1, HORIZON_DAYS + 1):
        relative = _Z * spread * math.sqrt(1 / k + 1 / level_days)
        bands.append((max(0.0, 1 - relative), 1 + relative))
    return tuple(bands)


def _level(spent: Sequence[float], expected: Sequence[float]) -> float:
    total = math.fsum(expected)
    return math.fsum(spent) / total if total > 0 else 0.0


def _weekday_pattern(values: Sequence[float], first_weekday: int) -> tuple[list[float], int]:
    """The central spend of each weekday (Monday first) after ``values`` (7 days or more, the first on
    ``first_weekday``), and the days its level was measured over."""
    n = len(values)
    weeks = min(n // 7, SHAPE_WEEKS)
    start = n - 7 * weeks
    shares: list[list[float]] = [[] for _ in range(7)]
    for week in range(weeks):
        begin = start + 7 * week
        total = math.fsum(values[begin : begin + 7])
        if total > 0:
            for offset in range(7):
                shares[(first_weekday + begin + offset) % 7].append(7 * values[begin + offset] / total)
    shape = _shape(shares)

    days = min(LEVEL_DAYS, 7 * (n // 7))
    recent = range(n - days, n)
    expected = [shape[(first_weekday + t) % 7] for t in recent]
    typical = [values[t] / share for t, share in zip(recent, expected, strict=True) if share > 0]
    cap = SPIKE_CAP * _quantile(typical, 0.5) if typical else math.inf
    spent = [min(values[t], share * cap) for t, share in zip(recent, expected, strict=True)]
    level = _level(spent, expected)
    if days >= 14 and len(typical) >= 4:
        older, newer = _level(spent[:-7], expected[:-7]), _level(spent[-7:], expected[-7:])
        deviation = math.sqrt(_variance([s / share for s, share in zip(spent, expected, strict=True) if share > 0]))
        if abs(newer - older) > SHIFT_Z * deviation * math.sqrt(1 / 7 + 1 / (days - 7)):
            level, days = newer, 7
    return [level * share for share in shape], days


def _shape(shares: list[list[float]]) -> list[float]:
    """Each weekday's share of a week (7 on average): the median of its weeks' shares, shrunk towards a
    flat week by how much of the weekdays' differences the weeks' disagreement alone would make (an
    empirical Bayes weight: noise makes no pattern)."""
    raw = [_quantile(share, 0.5) if share else 1.0 for share in shares]
    mean = math.fsum(raw) / 7
    if mean <= 0:
        return [1.0] * 7
    raw = [value / mean for value in raw]
    between = math.fsum((value - 1) * (value - 1) for value in raw) / 6
    spreads = [_variance(share) for share in shares if len(share) >= 2]
    if between <= 0 or not spreads:
        return [1.0] * 7  # flat, or a single week, which cannot tell a pattern from noise
    noise = (math.fsum(spreads) / len(spreads)) / min(len(share) for share in shares if share)
    weight = max(0.0, 1.0 - noise / between)
    return [1 + weight * (value - 1) for value in raw]


def _began(values: Sequence[float]) -> int:
    """The index of the first day with spend (``len(values)`` when there is none)."""
    return next((index for index, value in enumerate(values) if value > 0), len(values))


def _average(values: Sequence[float]) -> tuple[float, int]:
    """The exact average of the last 7 of ``values`` (all of them when fewer), and how many it took."""
    days = min(7, len(values))
    return exact_quotient(exact_sum(values[len(values) - days :]), days), days


def _central_pattern(values: Sequence[float], first_weekday: int) -> list[float]:
    """The pattern ``forecast_spend`` makes of ``values`` (spend on the first day), for its past errors."""
    if len(values) >= MIN_HISTORY_DAYS:
        return _weekday_pattern(values, first_weekday)[0]
    began = _began(values)
    return [_average(values[began:])[0] if began < len(values) else 0.0] * 7


def _errors(values: Sequence[float], first_weekday: int, first: int) -> tuple[list[float], int]:
    """The ratios of actual to forecast spend of the model refitted at each day from ``first`` on, for
    the 7 days after each (days forecast at 0 left out), and how many distinct days they are of."""
    n = len(values)
    ratios: list[float] = []
    days: set[int] = set()
    for origin in range(first, n):
        pattern = _central_pattern(values[:origin], first_weekday)
        for ahead in range(min(HORIZON_DAYS, n - origin)):
            central = pattern[(first_weekday + origin + ahead) % 7]
            if central > 0:
                ratios.append(min(values[origin + ahead] / central, MAX_RATIO))
                days.add(origin + ahead)
    return ratios, len(days)


def _error_bands(
    values: Sequence[float], first_weekday: int, level_days: int
) -> tuple[_Band, tuple[_Band, ...]] | None:
    """The 80 % range as multiples of the central forecast, from the model's errors on ``values``
    (spend on the first day): refitted at each of the last ``RESIDUAL_ORIGINS`` days (from the 14th,
    or from the 7th when that leaves fewer than 7 days or ``MIN_RESIDUALS`` errors), its forecasts of
    the 7 days after each compared with what was spent. None with fewer than ``MIN_RESIDUALS`` errors."""
    n = len(values)
    first = max(MIN_HISTORY_DAYS if n - MIN_HISTORY_DAYS >= 7 else 7, n - RESIDUAL_ORIGINS)
    ratios, days = _errors(values, first_weekday, first)
    if len(ratios) < MIN_RESIDUALS and first > 7:  # spend on few weekdays: the forecasts before too
        ratios, days = _errors(values, first_weekday, max(7, n - RESIDUAL_ORIGINS))
    if len(ratios) < MIN_RESIDUALS:
        return None
    # An error is the day's own noise and the level's error (1 / level_days of it): the first alone.
    spread = math.sqrt(math.fsum((ratio - 1) * (ratio - 1) for ratio in ratios) / len(ratios) / (1 + 1 / level_days))
    return _around_one(_percentile_band(ratios, days)), _span_bands(spread, level_days)


def _spread_bands(days: Sequence[float], average: float) -> tuple[_Band, tuple[_Band, ...]]:
    """The range of an average of ``days``: a day's from their percentiles, several days' from their
    standard deviation (one day alone: as wide as itself)."""
    if average <= 0:
        return (1.0, 1.0), ((1.0, 1.0),) * HORIZON_DAYS
    deviation = math.sqrt(_variance(days)) if len(days) >= 2 else average
    low, high = _percentile_band(days, len(days))
    return _around_one((low / average, high / average)), _span_bands(deviation / average, len(days))


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
        return _flat(at, 0.0, 0, AVERAGE, "there is no history of spend", None, None)
    values = history.values
    began = _began(values)
    active = values[began:]
    weekday = (history.first.weekday() + began) % 7
    month_to_date = _month_to_date(history, at.date())
    if len(active) >= MIN_HISTORY_DAYS:
        pattern, level_days = _weekday_pattern(active, weekday)
        bands = _error_bands(active, weekday, level_days)
        if bands is not None:
            day_band, span_bands = bands
            return Forecast(
                WEEKDAY, None, at, tuple(pattern), day_band, span_bands, len(active), history.last, month_to_date
            )
    if not active:
        reason = f"nothing was spent in the {len(values)} days of history"
        return _flat(at, 0.0, len(values), AVERAGE, reason, history, month_to_date)
    average, days = _average(active)
    if len(values) < MIN_HISTORY_DAYS:
        reason = f"only {len(values)} days of history; the weekday model needs {MIN_HISTORY_DAYS}"
    elif len(active) < MIN_HISTORY_DAYS:
        reason = f"spending began {len(active)} days ago; the weekday model needs {MIN_HISTORY_DAYS} days of it"
    else:
        reason = "too few days with spend to measure the weekday model's errors"
    if days < 7:
        reason += f" (the average of the {days} days since spending began)"
    method = AVERAGE if days == 7 else f"{days}-day average"
    day_band, span_bands = _spread_bands(active[-days:], average)
    return Forecast(method, reason, at, (average,) * 7, day_band, span_bands, days, history.last, month_to_date)


def _flat(
    at: dt.datetime,
    per_day: float,
    days: int,
    method: str,
    reason: str,
    history: _History | None,
    month_to_date: float | None,
) -> Forecast:
    """A forecast of nothing spent (or of a pace without a range: ``pace_forecast``)."""
    day_band, span_bands = ((1.0, 1.0), ((1.0, 1.0),) * HORIZON_DAYS) if per_day == 0 else (None, None)
    end = None if history is None else history.last
    return Forecast(method, reason, at, (per_day,) * 7, day_band, span_bands, days, end, month_to_date)


def pace_forecast(spent: float, days: float, *, at: dt.datetime) -> Forecast:
    """A flat forecast of ``spent`` dollars over ``days`` days (a limit window's usage so far over the
    days elapsed in it), for a key whose daily spend is not known: ``"window average"``, without a
    range (none can be measured). Raises ValueError unless ``days`` is above 0 and ``spent`` a finite
    number, 0 or more."""
    if not days > 0 or not math.isfinite(days):
        raise ValueError(f"a pace needs a finite span of time above 0 days, not {days!r}")
    if not math.isfinite(spent) or spent < 0:
        raise ValueError(f"a pace needs a finite amount spent, 0 or more, not {spent!r}")
    reason = "no daily history: the pace of the window so far, without a range"
    return _flat(utc(at), spent / days, 0, WINDOW_AVERAGE, reason, None, None)
