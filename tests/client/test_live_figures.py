"""An account in debt, and key limits that reset daily, weekly or monthly: the pure combination and the
window arithmetic, against hand-computed values (the clock injected)."""

from __future__ import annotations

import datetime as dt

import pytest

from openrouter_credits import Activity, Credits
from openrouter_credits._balance import combine

TODAY = dt.date(2026, 11, 25)


class _Row:
    def __init__(self, date: str, usage: float) -> None:
        self.date = date
        self.usage = usage


def week_of(usage: float) -> Activity:
    """``usage`` dollars spent on each of the 7 completed days before TODAY."""
    rows = [_Row((TODAY - dt.timedelta(days=back)).isoformat(), usage) for back in range(1, 8)]
    return Activity(rows, TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("credits", "usage", "per_day", "remaining", "days_left"),
    [
        (25.0, 25.5, 1.0, -0.5, 0.0),  # in debt
        (25.0, 25.5, 0.0, -0.5, 0.0),  # in debt, nothing spent: still no days left
        (25.0, 25.0, 0.0, 0.0, 0.0),  # nothing left
        (25.0, 24.0, 0.5, 1.0, 2.0),
    ],
)
def test_debt_leaves_no_days(credits: float, usage: float, per_day: float, remaining: float, days_left: float) -> None:
    """Usage above credits: remaining negative, as it is; days left 0, whatever the pace."""
    balance = combine(Credits(total_credits=credits, total_usage=usage), None, week_of(per_day), {})
    assert (balance.remaining, balance.days_left) == (remaining, days_left)
    assert "days_left" not in balance.unknown
