"""How amounts and days read in text: the command's tables, the exporter's alerts and its page."""

from __future__ import annotations

import math

__all__ = ["day_range", "days", "money"]


def money(amount: float) -> str:
    """US dollars with two decimals, more when two would show a non-zero amount as 0.00."""
    decimals = 2
    if amount != 0 and abs(amount) < 0.005:
        decimals = -math.floor(math.log10(abs(amount)))
        while float(f"{abs(amount):.{decimals}f}") == 0:
            decimals += 1
    text = f"{abs(amount):,.{decimals}f}"
    return f"-${text}" if amount < 0 else f"${text}"


def days(value: float) -> str:
    """Days with one decimal (``18.6``), ``less than 0.1`` below that."""
    return "less than 0.1" if 0 < value < 0.05 else f"{value:,.1f}"


def day_range(low: float, high: float) -> str:
    """A range of days: ``15.2 to 20.1``; ``15.2 or more`` when the high end never comes (``math.inf``)."""
    return f"{days(low)} or more" if math.isinf(high) else f"{days(low)} to {days(high)}"
