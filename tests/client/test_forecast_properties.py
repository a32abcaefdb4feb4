"""Hypothesis properties of the forecast, for any history: ranges hold their central value, more spend
never lasts longer, a constant is forecast as itself, a weekly pattern is recovered, and the
projections agree with each other."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openrouter_credits import DailySpend
from openrouter_credits._forecast import MIN_HISTORY_DAYS, WEEKDAY, Forecast, forecast_spend

SETTINGS = settings(max_examples=60, deadline=None)

AMOUNTS = st.one_of(st.just(0.0), st.floats(0.001, 1_000.0), st.floats(0.0, 1e6))
HISTORIES = st.lists(AMOUNTS, max_size=45)
LAST_DAYS = st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31))
# When the forecast is made: during the day after the history, at any time of it.
HOURS = st.floats(0.0, 23.99)
BALANCES = st.floats(0.0, 1e7)


def history(values: list[float], last: dt.date) -> list[DailySpend]:
    return [DailySpend(last - dt.timedelta(days=len(values) - 1 - n), value) for n, value in enumerate(values)]


def at_after(last: dt.date, hours: float) -> dt.datetime:
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC) + dt.timedelta(hours=hours)


def ordered(low: float | None, central: float, high: float | None) -> bool:
    return low is not None and high is not None and low <= central <= high


@SETTINGS
@given(HISTORIES, LAST_DAYS, HOURS, BALANCES)
def test_every_range_holds_its_central_value(values: list[float], last: dt.date, hours: float, balance: float) -> None:
    """low <= central <= high for each day, for spans of time, for the month's end and for days left."""
    at = at_after(last, hours)
    forecast = forecast_spend(history(values, last), at=at)
    assert all(ordered(day.low, day.central, day.high) and day.central >= 0 for day in forecast.daily)
    for days in (0.25, 1, 3, 7, 30):
        span = forecast.spend_between(at, at + dt.timedelta(days=days))
        assert ordered(span.low, span.central, span.high)
    month = forecast.month_end_spend()
    assert month is None or ordered(month.low, month.central, month.high)
    left = forecast.days_left(balance)
    if left is not None:
        low, high = left.low, left.high
        assert low is not None
        assert high is not None
        assert low <= left.central * (1 + 1e-12)
        assert left.central <= high * (1 + 1e-12)


@SETTINGS
@given(HISTORIES, LAST_DAYS, HOURS, st.floats(1.0, 100.0), BALANCES)
def test_more_spend_never_gives_more_days_left(
    values: list[float], last: dt.date, hours: float, factor: float, balance: float
) -> None:
    """The same history with every day's spend multiplied by ``factor`` >= 1 never lasts longer."""
    at = at_after(last, hours)
    less = forecast_spend(history(values, last), at=at).days_left(balance)
    more = forecast_spend(history([value * factor for value in values], last), at=at).days_left(balance)
    if less is None:
        return
    assert more is not None
    assert more.central <= less.central * (1 + 1e-9)


@SETTINGS
@given(st.floats(0.001, 1_000.0), st.lists(AMOUNTS, max_size=MIN_HISTORY_DAYS - 2), LAST_DAYS, st.data())
def test_more_spend_on_any_day_never_gives_more_days_left_with_the_average(
    first: float, rest: list[float], last: dt.date, data: st.DataObject
) -> None:
    """With too little history for the weekday model (spending from its first day on), adding spend to
    any one day never lasts longer. (Spend added before a new key's first spend may: the days since
    are then more, and the average over them lower.)"""
    values = [first, *rest]
    index = data.draw(st.integers(0, len(values) - 1))
    added = data.draw(st.floats(0.0, 1_000.0))
    at = at_after(last, 0.0)
    more_values = list(values)
    more_values[index] += added
    less = forecast_spend(history(values, last), at=at).days_left(1_000.0)
    more = forecast_spend(history(more_values, last), at=at).days_left(1_000.0)
    if less is not None:
        assert more is not None
        assert more.central <= less.central * (1 + 1e-9)


@SETTINGS
@given(HISTORIES, LAST_DAYS, HOURS, BALANCES, BALANCES)
def test_a_larger_amount_lasts_at_least_as_long(
    values: list[float], last: dt.date, hours: float, first: float, second: float
) -> None:
    """Days left grows with the amount, at the central spend and at both ends of its range."""
    small, large = sorted((first, second))
    forecast = forecast_spend(history(values, last), at=at_after(last, hours))
    shorter, longer = forecast.days_left(small), forecast.days_left(large)
    if longer is None:
        return
    assert shorter is not None
    for a, b in zip(shorter, longer, strict=True):
        assert a is not None
        assert b is not None
        assert a <= b * (1 + 1e-9) + 1e-9


@SETTINGS
@given(st.floats(0.01, 1e5), st.integers(MIN_HISTORY_DAYS, 60), LAST_DAYS, HOURS)
def test_a_constant_is_forecast_as_itself_with_a_narrow_range(
    amount: float, days: int, last: dt.date, hours: float
) -> None:
    """Every day the same: the weekday model forecasts that amount every day, its range that amount too."""
    forecast = forecast_spend(history([amount] * days, last), at=at_after(last, hours))
    assert forecast.method == WEEKDAY
    for day in forecast.daily:
        assert day.central == pytest.approx(amount, rel=1e-9)
        assert (day.low, day.high) == pytest.approx((amount, amount), rel=1e-9)
    left = forecast.days_left(amount * 10)
    assert left is not None
    assert tuple(left) == pytest.approx((10.0, 10.0, 10.0), rel=1e-9)


@SETTINGS
@given(
    st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1_000.0)), min_size=7, max_size=7).filter(any),
    st.integers(2, 8),
    LAST_DAYS,
)
def test_a_weekly_pattern_is_recovered(levels: list[float], weeks: int, last: dt.date) -> None:
    """Whole weeks of the same spend per weekday (Monday first): each coming day is forecast at its weekday's spend."""
    first = last - dt.timedelta(days=7 * weeks - 1)
    while levels[first.weekday()] == 0:  # the history begins with spend: no zeros to take for a new key's
        first += dt.timedelta(days=1)
    days = (last - first).days + 1
    values = [levels[(first + dt.timedelta(days=n)).weekday()] for n in range(days)]
    forecast = forecast_spend(history(values, last), at=at_after(last, 0.0))
    if days < MIN_HISTORY_DAYS:
        return
    assert forecast.method == WEEKDAY
    for day in forecast.daily:
        assert day.central == pytest.approx(levels[day.date.weekday()], rel=1e-9, abs=1e-12)


@SETTINGS
@given(HISTORIES, LAST_DAYS, HOURS, st.floats(0.0, 40.0), st.floats(0.0, 40.0))
def test_projections_agree(values: list[float], last: dt.date, hours: float, first: float, second: float) -> None:
    """Spend over two spans adds up to the spend over both; the amount spent by the time it runs out is the amount."""
    at = at_after(last, hours)
    forecast: Forecast = forecast_spend(history(values, last), at=at)
    middle, end = at + dt.timedelta(days=first), at + dt.timedelta(days=first + second)
    whole = forecast.spend_between(at, end).central
    parts = forecast.spend_between(at, middle).central + forecast.spend_between(middle, end).central
    assert parts == pytest.approx(whole, rel=1e-9, abs=1e-9)
    amount = whole
    left = forecast.days_left(amount)
    if left is not None and amount > 0:
        spent = forecast.spend_between(at, at + dt.timedelta(days=left.central)).central
        assert spent == pytest.approx(amount, rel=1e-6)
        assert math.isfinite(left.central)
