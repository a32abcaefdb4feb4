"""How amounts and days read in text (the command's tables, the exporter's alerts and its page), and
how estimates read as numbers (JSON and Prometheus values).

An estimate (a forecast's spend, range, days left and month's end, a listed key's pace and projection)
is computed in binary floating point, whose noise (``0.06999999999999999``) means nothing, and rests
on cents: JSON and Prometheus give it rounded, here and nowhere else: dollars to
``ESTIMATE_DIGITS`` significant digits (``0.07``, ``2.08075339``), days to ``ESTIMATE_DAY_DECIMALS``
decimals (``249.38``; a hundredth of a day is 864 s, so Prometheus' seconds are whole: ``21546432``).
The library's objects keep the full figures; figures that are exact sums (remaining, usage) are
never rounded.
"""

from __future__ import annotations

import math

__all__ = [
    "ESTIMATE_DAY_DECIMALS",
    "ESTIMATE_DIGITS",
    "day_range",
    "days",
    "estimate_days",
    "estimate_dollars",
    "estimate_seconds",
    "limit_words",
    "money",
]

#: The significant digits of an estimate's dollars in JSON and Prometheus.
ESTIMATE_DIGITS = 9
#: The decimals of an estimate's days in JSON (and so of its seconds in Prometheus).
ESTIMATE_DAY_DECIMALS = 2


def money(amount: float) -> str:
    """US dollars with two decimals, more when two would show a non-zero amount as 0.00."""
    decimals = 2
    if amount != 0 and abs(amount) < 0.005:
        decimals = -math.floor(math.log10(abs(amount)))
        while float(f"{abs(amount):.{decimals}f}") == 0:
            decimals += 1
    text = f"{abs(amount):,.{decimals}f}"
    return f"-${text}" if amount < 0 else f"${text}"


#: A limit's window (``limit_reset``) after its amount.
_PERIOD = {"daily": "/day", "weekly": "/week", "monthly": "/month"}


def limit_words(limit: float, reset: str | None) -> str:
    """A key's limit with its window: ``$10.00/day``, ``/week``, ``/month``; ``$10.00 total`` for a
    limit that never resets; a window this version does not know as OpenRouter names it (shortened,
    printable: ``$10.00 hourly``)."""
    from ._text import shown

    if reset is None:
        return f"{money(limit)} total"
    return money(limit) + _PERIOD.get(reset.strip().lower(), f" {shown(reset)}")


def days(value: float) -> str:
    """Days with one decimal (``18.6``), ``less than 0.1`` below that."""
    return "less than 0.1" if 0 < value < 0.05 else f"{value:,.1f}"


def day_range(low: float, high: float) -> str:
    """A range of days: ``15.2 to 20.1``; ``15.2 or more`` when the high end never comes (``math.inf``)."""
    return f"{days(low)} or more" if math.isinf(high) else f"{days(low)} to {days(high)}"


def estimate_dollars(value: float | None) -> float | None:
    """An estimate's dollars as a JSON or Prometheus value: ``ESTIMATE_DIGITS`` significant digits
    (``0.07``, not ``0.06999999999999999``); None stays None."""
    return value if value is None or not math.isfinite(value) else float(f"{value:.{ESTIMATE_DIGITS}g}")


def estimate_days(value: float | None) -> float | None:
    """An estimate's days as a JSON value: to ``ESTIMATE_DAY_DECIMALS`` decimals (``249.38``); None
    and infinity (for ever) as they are."""
    return value if value is None or math.isinf(value) else round(value, ESTIMATE_DAY_DECIMALS)


def estimate_seconds(value: float | None) -> float | None:
    """An estimate's days as Prometheus' seconds: ``estimate_days``' days x 86400, whole seconds; None
    for unknown or for ever (absent: Prometheus has no "never")."""
    rounded = estimate_days(value)
    return None if rounded is None or math.isinf(rounded) else float(round(rounded * 86400))
