"""The status page's spend chart (``_page``): 30 days of spend as SVG bars, then the forecast of the
coming days as a band of each day's 80 % range with a line at its central value; and the words of
days left and of the month's end."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Sequence
from html import escape

from .._activity import ACTIVITY_DAYS, DailySpend
from .._forecast import DayForecast, DaysLeft, Forecast, Range
from .._format import day_range, days, money
from ._page_text import dollars

__all__ = ["CHART_HEIGHT", "CHART_WIDTH", "band", "chart", "days_left_words", "month_words", "top_of"]

CHART_WIDTH = 600
CHART_HEIGHT = 120
_PLOT = CHART_HEIGHT - 16  # the bars' height; the dates below
_STEP = CHART_WIDTH // ACTIVITY_DAYS  # 20 px a day


def top_of(daily: Sequence[DayForecast]) -> float:
    """The largest figure the band draws (its high ends, else its central values)."""
    return max((day.central if day.high is None else day.high for day in daily), default=0.0)


@functools.lru_cache(maxsize=4096)
def _band_day(index: int, day: DayForecast, top: float, step: int, plot: int) -> str:
    def y(value: float) -> float:
        return plot - (plot * value / top if top > 0 else 0.0)

    x, width = index * step, step - 2
    low = day.central if day.low is None else day.low
    high = day.central if day.high is None else day.high
    spread = "" if day.low is None or day.high is None else f" ({money(low)} to {money(high)})"
    return (
        f'<rect class="band" x="{x}" y="{y(high):.1f}" width="{width}" height="{y(low) - y(high):.1f}">'
        f"<title>{day.date.isoformat()}, forecast: {money(day.central)}{spread}</title></rect>"
        f'<line class="central" x1="{x}" x2="{x + width}" y1="{y(day.central):.1f}" y2="{y(day.central):.1f}"/>'
    )


def band(forecast: Forecast, first: int, top: float, step: int, plot: int) -> str:
    """The forecast's days from slot ``first`` on, scaled to ``top`` dollars over ``plot`` pixels."""
    return "".join(_band_day(first + n, day, top, step, plot) for n, day in enumerate(forecast.daily))


def days_left_words(left: DaysLeft | None, central: float | None) -> str:
    """``17.5 <small>15.2 to 20.1</small>``: days left and its 80 % range; ``unknown``."""
    if central is None:
        return "unknown"
    if left is None or left.low is None or left.high is None or central <= 0:
        return days(central)
    return f"{days(central)} <small>{day_range(left.low, left.high)}</small>"


def month_words(month: Range | None, forecast: Forecast | None) -> str:
    """``This month: $31.00 projected by 31 Dec ($29.10 to $32.90, weekday)``; empty when unknown."""
    if month is None or forecast is None:
        return ""
    at = forecast.at
    spread = "" if month.low is None or month.high is None else f"{money(month.low)} to {money(month.high)}, "
    last = calendar.monthrange(at.year, at.month)[1]
    return (
        f'<p class="month">This month: {money(month.central)} projected by {last} {at:%b} '
        f"({spread}{escape(forecast.method)})</p>"
    )


@functools.lru_cache(maxsize=64)
def _day_label(day: dt.date) -> str:
    return day.isoformat()


@functools.lru_cache(maxsize=4096)
def _bar(index: int, day: dt.date, usage: float, top: float, step: int = _STEP) -> str:
    """One day's bar (cached: past days' spend changes rarely, so a new poll redraws little)."""
    height = _PLOT * usage / top if top > 0 and usage > 0 else 0.0
    return (
        f'<rect class="bar" x="{index * step}" y="{_PLOT - height:.1f}" width="{step - 2}" height="{height:.1f}">'
        f"<title>{_day_label(day)}: {dollars(usage)}</title></rect>"
    )


def chart(daily: tuple[DailySpend, ...], forecast: Forecast | None = None) -> str:
    """A bar a day, then the forecast's days as a band, scaled to the largest, the first and last
    dates below."""
    coming = () if forecast is None else forecast.daily
    top = max([*(day.usage for day in daily), top_of(coming)], default=0.0)
    step = CHART_WIDTH // (len(daily) + len(coming)) if daily or coming else _STEP
    first = _day_label(daily[0].date) if daily else ""
    last = _day_label(coming[-1].date if coming else daily[-1].date) if daily or coming else ""
    what = f", then the {forecast.method} forecast of the next {len(coming)} with its 80 % range" if forecast else ""
    return (
        f'<svg class="chart" role="img" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
        f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<desc>Spend per UTC day{escape(what)}, the largest {dollars(top)}</desc>"
        + "".join([_bar(index, day.date, day.usage, top, step) for index, day in enumerate(daily)])
        + ("" if forecast is None else band(forecast, len(daily), top, step, _PLOT))
        + f'<text x="0" y="{CHART_HEIGHT - 2}">{first}</text>'
        f'<text x="{CHART_WIDTH}" y="{CHART_HEIGHT - 2}" text-anchor="end">{last}</text></svg>'
    )
