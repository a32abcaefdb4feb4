"""The forecast of daily spend: hand-computed cases of the weekday model, its fallback, the range, days
left, a window's spend, the month's end, and the history it refuses (the clock injected: ``at``)."""

from __future__ import annotations

import datetime as dt
import math
import random
import re

import pytest

from openrouter_credits import DailySpend
from openrouter_credits._activity import spend_per_day
from openrouter_credits._forecast import (
    AVERAGE,
    HORIZON_DAYS,
    WEEKDAY,
    WINDOW_AVERAGE,
    DayForecast,
    DaysLeft,
    Range,
    forecast_spend,
    pace_forecast,
)

# A Wednesday: the history is the completed days before it.
AT = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
TODAY = AT.date()


def history(values: list[float], today: dt.date = TODAY) -> list[DailySpend]:
    """``values`` as the completed days before ``today``, oldest first."""
    return [DailySpend(today - dt.timedelta(days=len(values) - n), value) for n, value in enumerate(values)]


def bounds(forecast: Range | DayForecast | DaysLeft) -> tuple[float, float]:
    """The low and high ends of a forecast's range, which must be known."""
    assert forecast.low is not None
    assert forecast.high is not None
    return forecast.low, forecast.high


def weekly(today: dt.date, days: int, weekday: float = 3.0, weekend: float = 1.0) -> list[DailySpend]:
    """``days`` days before ``today``: ``weekday`` dollars Monday to Friday, ``weekend`` on Saturday and Sunday."""
    dates = [today - dt.timedelta(days=back) for back in range(days, 0, -1)]
    return [DailySpend(date, weekday if date.weekday() < 5 else weekend) for date in dates]


def test_constant_spend_is_forecast_as_itself_with_no_spread() -> None:
    """Thirty days of $2: the weekday model says $2 every day, and its range is $2 to $2."""
    forecast = forecast_spend(history([2.0] * 30), at=AT)
    assert (forecast.method, forecast.reason, forecast.history_days) == (WEEKDAY, None, 30)
    assert [day.date for day in forecast.daily] == [TODAY + dt.timedelta(days=n) for n in range(HORIZON_DAYS)]
    for day in forecast.daily:
        assert (day.central, day.low, day.high) == pytest.approx((2.0, 2.0, 2.0))
    assert forecast.spend_per_day == pytest.approx(2.0)
    assert forecast.days_left(20.0) == pytest.approx(DaysLeft(10.0, 10.0, 10.0))


def test_the_weekday_pattern_is_recovered() -> None:
    """Weekdays at $3 and weekends at $1 for four weeks: the forecast is $3 on weekdays and $1 at the
    weekend, where the 7-day average says $2.43 every day."""
    forecast = forecast_spend(weekly(TODAY, 28), at=AT)
    assert forecast.method == WEEKDAY
    expected = [3.0 if day.date.weekday() < 5 else 1.0 for day in forecast.daily]
    assert [day.central for day in forecast.daily] == pytest.approx(expected)
    assert forecast.spend_per_day == pytest.approx(17 / 7)


def test_days_left_walks_the_weekdays_from_at() -> None:
    """$8 from Friday 00:00 at $3 a weekday and $1 a weekend day: Friday 3, Saturday 1, Sunday 1,
    Monday 3: four days; $9 lasts a third of Tuesday more. From Friday noon, $1.50 of Friday is left."""
    friday = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    forecast = forecast_spend(weekly(friday.date(), 28), at=friday)
    assert forecast.days_left(8.0).central == pytest.approx(4.0)  # type: ignore[union-attr]
    assert forecast.days_left(9.0).central == pytest.approx(4 + 1 / 3)  # type: ignore[union-attr]
    at_noon = forecast_spend(weekly(friday.date(), 28), at=friday + dt.timedelta(hours=12))
    assert at_noon.days_left(6.5).central == pytest.approx(3.5)  # type: ignore[union-attr]
    assert at_noon.runs_out_at(6.5) == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_days_left_of_a_large_amount_jumps_whole_weeks() -> None:
    """$1,700 at $17 a week lasts a hundred weeks to the day, from Monday 00:00."""
    monday = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    forecast = forecast_spend(weekly(monday.date(), 28), at=monday)
    assert forecast.days_left(1700.0).central == pytest.approx(700.0)  # type: ignore[union-attr]
    assert forecast.days_left(1700.0 + 3.0).central == pytest.approx(701.0)  # type: ignore[union-attr]


def test_nothing_left_lasts_zero_days_and_nothing_spent_never_runs_out() -> None:
    """No amount (or debt) lasts 0 days at any pace; at a pace of nothing, days left is unknown (None), never 0."""
    spending = forecast_spend(history([2.0] * 30), at=AT)
    assert spending.days_left(0.0) == DaysLeft(0.0, 0.0, 0.0)
    assert spending.days_left(-5.0) == DaysLeft(0.0, 0.0, 0.0)
    assert spending.runs_out_at(0.0) == AT
    idle = forecast_spend(history([0.0] * 30), at=AT)
    assert (idle.method, idle.reason) == (AVERAGE, "nothing was spent in the 30 days of history")
    assert idle.days_left(10.0) is None
    assert idle.runs_out_at(10.0) is None
    assert idle.spend_per_day == 0.0


def test_too_little_history_falls_back_to_the_7_day_average_and_says_so() -> None:
    """Ten days of history: the 7-day average, exactly the figure Activity.spend_per_day gives."""
    days = history([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    forecast = forecast_spend(days, at=AT)
    assert forecast.method == AVERAGE == "7-day average"
    assert forecast.reason == "only 10 days of history; the weekday model needs 14"
    assert forecast.spend_per_day == spend_per_day(days) == 0.7
    assert {day.central for day in forecast.daily} == {0.7}
    low, high = bounds(forecast.daily[0])
    assert low < 0.7 < high


def test_a_key_that_began_mid_window_is_averaged_over_its_own_days() -> None:
    """Thirty days of which the key spent on the last 5 only: the average of those 5 days, not 7
    days with two zeros in them."""
    forecast = forecast_spend(history([0.0] * 25 + [1.0, 2.0, 3.0, 2.0, 2.0]), at=AT)
    assert forecast.method == "5-day average"
    assert forecast.reason == (
        "spending began 5 days ago; the weekday model needs 14 days of it "
        "(the average of the 5 days since spending began)"
    )
    assert forecast.spend_per_day == 2.0
    assert forecast.history_days == 5


def test_no_history_at_all() -> None:
    """An empty history forecasts nothing, and says why."""
    forecast = forecast_spend([], at=AT)
    assert (forecast.method, forecast.reason) == (AVERAGE, "there is no history of spend")
    assert forecast.days_left(1.0) is None
    assert forecast.month_end_spend() is None


def test_a_one_day_spike_hardly_moves_the_forecast() -> None:
    """$1 a day with one $20 day last week: the 7-day average jumps to $3.71; the forecast stays near $1."""
    values = [1.0] * 30
    values[-3] = 20.0
    forecast = forecast_spend(history(values), at=AT)
    assert spend_per_day(history(values)) == pytest.approx(26 / 7)
    assert forecast.spend_per_day == pytest.approx(1.0, rel=0.15)


def test_spikes_widen_the_high_end_of_several_days_range() -> None:
    """$1 a day give or take 10 %, and a $7 day on the 4th and the 9th of the 30 (before the last days,
    whose errors the range is measured on): a day's range and the low ends stay as without them; the
    week's high end takes the one spike a week holds at its 90th percentile (a 1 in 15 chance a day:
    1 of 7 days), $6 over a $7 week, about +0.86; a day's does not."""
    values = [1.0 + 0.1 * ((n % 3) - 1) for n in range(30)]
    spiky = list(values)
    spiky[3] = spiky[8] = 7.0
    plain, spiked = forecast_spend(history(values), at=AT), forecast_spend(history(spiky), at=AT)
    assert plain.span_bands is not None
    assert spiked.span_bands is not None
    (low, high), (spiked_low, spiked_high) = plain.span_bands[6], spiked.span_bands[6]
    assert spiked_low == pytest.approx(low, abs=0.05)
    assert spiked_high - high > 0.75  # the spike's 6/7, and the shape's small change
    assert abs(spiked.span_bands[0][1] - plain.span_bands[0][1]) < 0.15  # one day: 93 % do not spike


def test_a_shift_in_the_last_week_sets_the_level() -> None:
    """Three weeks at $1 a day, then a week at $2: the forecast follows the last week."""
    forecast = forecast_spend(history([1.0] * 21 + [2.0] * 7), at=AT)
    assert forecast.method == WEEKDAY
    assert forecast.spend_per_day == pytest.approx(2.0)


def test_noisy_spend_has_a_range_around_the_central_value() -> None:
    """Noisy weekly spend: each day's range and the week's hold the central value strictly inside."""
    rng = random.Random(7)
    days = [DailySpend(day.date, day.usage * rng.uniform(0.7, 1.3)) for day in weekly(TODAY, 30)]
    forecast = forecast_spend(days, at=AT)
    for day in forecast.daily:
        low, high = bounds(day)
        assert low < day.central < high
    week = forecast.spend_between(AT, AT + dt.timedelta(days=7))
    low, high = bounds(week)
    assert low < week.central < high
    left = forecast.days_left(50.0)
    assert left is not None
    low, high = bounds(left)
    assert low < left.central < high


def test_spend_between_prorates_days_by_the_hour() -> None:
    """What today should have spent by 06:00 on a Wednesday at $3 a weekday: $0.75; from Friday 18:00
    to Monday 06:00: 0.75 + 1 + 1 + 0.75."""
    forecast = forecast_spend(weekly(TODAY, 28), at=AT)
    assert forecast.spend_between(AT, AT + dt.timedelta(hours=6)).central == pytest.approx(0.75)
    friday_evening = dt.datetime(2026, 11, 27, 18, tzinfo=dt.UTC)
    monday_morning = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)
    assert forecast.spend_between(friday_evening, monday_morning).central == pytest.approx(3.5)
    assert forecast.spend_between(monday_morning, friday_evening).central == 0.0


def test_a_limit_window_projected_to_its_reset() -> None:
    """A weekly limit's window on Wednesday 00:00 with $6 used: $2 a day adds 5 days' $10 by Monday's reset."""
    forecast = forecast_spend(history([2.0] * 30), at=AT)
    reset = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert 6.0 + forecast.spend_between(AT, reset).central == pytest.approx(16.0)
    assert forecast.runs_out_at(3.0) == dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)


def test_month_end_spend_adds_the_month_so_far_to_the_forecast() -> None:
    """$2 a day on 25 November: the 24 days of November in the history ($48, exact) and 6 days more
    ($12); or what the caller knows was spent (at noon: $50) and 5.5 days more."""
    forecast = forecast_spend(history([2.0] * 30), at=AT)
    assert forecast.month_to_date == 48.0
    month = forecast.month_end_spend()
    assert month is not None
    assert month.central == pytest.approx(60.0)
    at_noon = forecast_spend(history([2.0] * 30), at=AT + dt.timedelta(hours=12))
    told = at_noon.month_end_spend(50.0)
    assert told is not None
    assert told.central == pytest.approx(61.0)


def test_month_end_spend_is_unknown_when_the_history_starts_after_the_first() -> None:
    """A history that begins on 10 November cannot tell November's spend so far (unless told)."""
    forecast = forecast_spend(history([2.0] * 15), at=AT)
    assert forecast.month_to_date is None
    assert forecast.month_end_spend() is None
    told = forecast.month_end_spend(40.0)
    assert told is not None
    assert told.central == pytest.approx(52.0)


def test_the_month_to_date_is_exact() -> None:
    """Cents add up as a person adds them: 29 days of $0.10 in November make $2.90 (a float sum gives
    2.9000000000000012); on 1 December nothing of the month is in the history yet ($0, known)."""
    november = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert forecast_spend(history([0.1] * 30, november.date()), at=november).month_to_date == 2.9
    december = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert forecast_spend(history([0.1] * 30, december.date()), at=december).month_to_date == 0.0


def test_only_the_most_recent_unbroken_run_of_days_counts() -> None:
    """A day missing from the history (a gap, not $0) breaks it: the days after the gap are the history."""
    days = history([5.0] * 30)
    del days[10]
    forecast = forecast_spend(days, at=AT)
    assert forecast.history_days == 19
    assert forecast.history_end == TODAY - dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([DailySpend(TODAY, 1.0)], "daily[0] is 2026-11-25: the history is of completed days before today"),
        (
            [DailySpend(TODAY - dt.timedelta(days=1), 1.0), DailySpend(TODAY - dt.timedelta(days=2), 1.0)],
            "daily[1] is 2026-11-23, not after 2026-11-24: days in order",
        ),
        ([DailySpend(TODAY - dt.timedelta(days=1), -1.0)], "daily[0] spent -1.0: a day's spend is a finite number"),
        ([DailySpend(TODAY - dt.timedelta(days=1), math.nan)], "daily[0] spent nan: a day's spend is a finite number"),
        ([DailySpend(TODAY - dt.timedelta(days=1), math.inf)], "daily[0] spent inf: a day's spend is a finite number"),
    ],
)
def test_a_history_that_is_not_one_is_refused(days: list[DailySpend], message: str) -> None:
    """Days out of order, today or later, or a spend not a finite amount, 0 or more: a ValueError saying which."""
    with pytest.raises(ValueError, match=re.escape(message)):
        forecast_spend(days, at=AT)


def test_a_pace_without_history_has_no_range() -> None:
    """A window's $6 over 3 days: $2 a day, no range (None, never a made-up one), and the same days left."""
    forecast = pace_forecast(6.0, 3.0, at=AT)
    assert (forecast.method, forecast.spend_per_day) == (WINDOW_AVERAGE, 2.0)
    assert forecast.days_left(10.0) == DaysLeft(5.0, None, None)
    assert forecast.daily[0].low is None
    week = forecast.spend_between(AT, AT + dt.timedelta(days=7))
    assert (week.central, week.low, week.high) == (pytest.approx(14.0), None, None)
    month = forecast.month_end_spend(1.0)
    assert month is not None
    assert (month.central, month.low, month.high) == (pytest.approx(13.0), None, None)
    idle = pace_forecast(0.0, 2.0, at=AT)
    assert idle.days_left(1.0) is None
    assert idle.daily[0] == (TODAY, 0.0, None, None)  # nothing spent in the window says nothing sure of tomorrow
    with pytest.raises(ValueError, match="above 0 days"):
        pace_forecast(6.0, 0.0, at=AT)
    with pytest.raises(ValueError, match="finite amount spent"):
        pace_forecast(-1.0, 2.0, at=AT)


def test_naive_times_are_utc() -> None:
    """A naive ``at`` is taken as UTC, as everywhere in the library."""
    naive = forecast_spend(history([2.0] * 30), at=AT.replace(tzinfo=None))
    assert naive.at == AT


def test_spend_on_a_few_days_a_fortnight_is_still_spend() -> None:
    """$5 on 3 irregular days of every 14 (no weekday pattern): about $1.07 a day, never a forecast of nothing."""
    values = [0.0] * 28
    for index in (0, 5, 9, 14, 17, 25):
        values[index] = 5.0
    forecast = forecast_spend(history(values), at=AT)
    assert forecast.spend_per_day == pytest.approx(15 / 14, rel=0.5)
    left = forecast.days_left(10.0)
    assert left is not None
    assert left.central < 30


def test_an_amount_that_outlasts_any_calendar_has_no_days_left() -> None:
    """A billion dollars at a cent a day: not 10^11 days, but unknown (None), at a pace and with a history."""
    assert pace_forecast(0.01, 1.0, at=AT).days_left(1e9) is None
    assert forecast_spend(history([0.01] * 30), at=AT).days_left(1e9) is None
    assert forecast_spend(history([0.01] * 30), at=AT).runs_out_at(1e9) is None
