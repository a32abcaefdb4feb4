"""The forecast's model of daily spend, fitted to a history (``_forecast`` makes the results of it).

- ``weekday_pattern``: a level for each day of the week. The week's shape is the median, per weekday,
  of each day's share of its week (the last ``SHAPE_WEEKS`` whole weeks), shrunk towards a flat week
  as far as the weeks disagree (noise makes no pattern). The level is the spend of the last
  ``LEVEL_DAYS`` days (whole weeks) over what the shape expected of them, a spike counting at most
  ``SPIKE_CAP`` times a typical day; when the last week departs from the weeks before by more than
  ``SHIFT_Z`` standard errors, the last week's level alone.
- ``error_bands``: the 80 % range, from the model's own errors on the history. Refitted at each of
  the last days, its forecasts of the 7 days after each are compared with what was spent: a day's
  range spans the 10th to the 90th percentile of those ratios (widened for the few days they are
  measured on), several days' the normal sum of their spread (the days' noise averages out, the
  level's error does not), their high ends widened by the spikes of the whole history (how often,
  how large: as many as the days are likely to hold, at the 90th percentile of a binomial count).
- ``average`` and ``spread_bands``: the fallback, the exact average of the last 7 days (of the days
  since spending began, when fewer) and a range from the spread of those days.

A range is a pair of multipliers of the central amount (``Band``). Pure functions, plain floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from ._money import exact_quotient, exact_sum

__all__ = [
    "COVERAGE",
    "HORIZON_DAYS",
    "LEVEL_DAYS",
    "LONGEST_HISTORY",
    "MIN_HISTORY_DAYS",
    "Band",
    "error_bands",
    "recent_average",
    "spend_began",
    "spread_bands",
    "weekday_pattern",
]

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
#: In the level, a day counts at most this many times what a typical day of the window spent (the
#: median of the days that spent anything, as the week's shape expects of each).
SPIKE_CAP: Final = 3.0
#: The range is measured on forecasts made at each of at most this many days back.
RESIDUAL_ORIGINS: Final = 28
#: A day counts as spending at most this many times its forecast in the range (a day's spend against
#: a forecast of next to nothing).
MAX_RATIO: Final = 1e6
#: Errors needed to measure a range; with fewer the range comes from the spread of the days.
MIN_RESIDUALS: Final = 6
#: The most days of history the model reads: the shape's weeks before each of the refits' origins
#: (a longer history changes nothing).
LONGEST_HISTORY: Final = 7 * SHAPE_WEEKS + RESIDUAL_ORIGINS

_Z: Final = 1.2815515655446004  # the standard normal's 90th percentile
_LOW_Q: Final = (1 - COVERAGE) / 2
_HIGH_Q: Final = 1 - _LOW_Q

#: Multipliers of a central amount: the low and high ends of its range.
Band = tuple[float, float]


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


def _percentile_band(values: Sequence[float], days: int) -> Band:
    """The 10th and 90th percentiles of ``values``, measured on ``days`` distinct days: widened so that
    the band holds a new day's value 80 % of the time (between the i-th and j-th of n values, a new one
    falls with probability (j - i) / (n + 1); the plain percentiles hold it less often)."""
    if days < 2:
        return min(values), max(values)
    low = min(max((_LOW_Q * (days + 1) - 1) / (days - 1), 0.0), 0.5)
    high = max(min((_HIGH_Q * (days + 1) - 1) / (days - 1), 1.0), 0.5)
    return _quantile(values, low), _quantile(values, high)


def _around_one(band: Band) -> Band:
    """``band`` stretched to hold 1: a range always holds its central value."""
    return min(band[0], 1.0), max(band[1], 1.0)


def _span_bands(spread: float, level_days: int) -> tuple[Band, ...]:
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


def weekday_pattern(values: Sequence[float], first_weekday: int) -> tuple[list[float], int]:
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
    spending = [value for value in typical if value > 0]  # days without spend say nothing of a spike
    cap = SPIKE_CAP * _quantile(spending, 0.5) if spending else math.inf
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


def spend_began(values: Sequence[float]) -> int:
    """The index of the first day with spend (``len(values)`` when there is none)."""
    return next((index for index, value in enumerate(values) if value > 0), len(values))


def recent_average(values: Sequence[float]) -> tuple[float, int]:
    """The exact average of the last 7 of ``values`` (all of them when fewer), and how many it took."""
    days = min(7, len(values))
    return exact_quotient(exact_sum(values[len(values) - days :]), days), days


def _central_pattern(values: Sequence[float], first_weekday: int) -> list[float]:
    """The pattern ``forecast_spend`` makes of ``values`` (spend on the first day), for its past errors."""
    if len(values) >= MIN_HISTORY_DAYS:
        return weekday_pattern(values, first_weekday)[0]
    began = spend_began(values)
    return [recent_average(values[began:])[0] if began < len(values) else 0.0] * 7


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


def _spikes(values: Sequence[float], first_weekday: int, pattern: Sequence[float]) -> tuple[float, float]:
    """How often the history spiked and by how much: the share of its days that spent more than
    ``SPIKE_CAP`` times the central forecast of their weekday (``pattern``), and their mean excess
    over it, as multiples of it (0, 0 when none did)."""
    excess = []
    for t, value in enumerate(values):
        central = pattern[(first_weekday + t) % 7]
        if central > 0 and value > SPIKE_CAP * central:
            excess.append(min(value / central, MAX_RATIO) - 1)
    return (len(excess) / len(values), math.fsum(excess) / len(excess)) if excess else (0.0, 0.0)


def _spike_quantile(days: int, rate: float) -> int:
    """The fewest spikes that ``days`` days hold with probability ``_HIGH_Q`` or more, each day
    spiking with probability ``rate`` (the binomial distribution)."""
    below = 0.0
    for count in range(days + 1):
        below += math.comb(days, count) * rate**count * (1 - rate) ** (days - count)
        if below >= _HIGH_Q:
            return count
    return days


def error_bands(
    values: Sequence[float], first_weekday: int, level_days: int, pattern: Sequence[float] | None = None
) -> tuple[Band, tuple[Band, ...]] | None:
    """The 80 % range as multiples of the central forecast, from the model's errors on ``values``
    (spend on the first day): refitted at each of the last ``RESIDUAL_ORIGINS`` days (from the 14th,
    or from the 7th when that leaves fewer than 7 days or ``MIN_RESIDUALS`` errors), its forecasts of
    the 7 days after each compared with what was spent; several days' high ends widened by the
    history's spikes (days above ``SPIKE_CAP`` times ``pattern``, the central forecast of their
    weekday). None with fewer than ``MIN_RESIDUALS`` errors."""
    n = len(values)
    first = max(MIN_HISTORY_DAYS if n - MIN_HISTORY_DAYS >= 7 else 7, n - RESIDUAL_ORIGINS)
    ratios, days = _errors(values, first_weekday, first)
    if len(ratios) < MIN_RESIDUALS and first > 7:  # spend on few weekdays: the forecasts before too
        ratios, days = _errors(values, first_weekday, max(7, n - RESIDUAL_ORIGINS))
    if len(ratios) < MIN_RESIDUALS:
        return None
    # An error is the day's own noise and the level's error (1 / level_days of it): the first alone.
    spread = math.sqrt(math.fsum((ratio - 1) * (ratio - 1) for ratio in ratios) / len(ratios) / (1 + 1 / level_days))
    spans = _span_bands(spread, level_days)
    # Spikes are rare and one-sided, which a normal sum of the errors (those of the last days only)
    # does not foresee: as many as k days hold at the range's high quantile, at their mean size over
    # the whole history, widen the high end of k days' range.
    rate, size = (0.0, 0.0) if pattern is None else _spikes(values, first_weekday, pattern)
    if rate > 0:
        spans = tuple((low, high + _spike_quantile(k, rate) * size / k) for k, (low, high) in enumerate(spans, start=1))
    return _around_one(_percentile_band(ratios, days)), spans


def spread_bands(days: Sequence[float], average: float) -> tuple[Band, tuple[Band, ...]]:
    """The range of an average of ``days``: a day's from their percentiles, several days' from their
    standard deviation (one day alone: as wide as itself)."""
    if average <= 0:
        return (1.0, 1.0), ((1.0, 1.0),) * HORIZON_DAYS
    deviation = math.sqrt(_variance(days)) if len(days) >= 2 else average
    low, high = _percentile_band(days, len(days))
    return _around_one((low / average, high / average)), _span_bands(deviation / average, len(days))
