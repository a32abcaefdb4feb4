"""Spend spikes: today's spend so far against what was expected of it by now.

The one home of the rule, which the one-shot command (``--spike``) and the exporter's alerts share:

- today's spend so far: an ordinary key's ``usage_daily`` (``/key``, the current UTC day); a
  management key's own usage is 0 on OpenRouter (it cannot call models), so for it the caller passes
  ``today``: the sum of ``usage_daily`` over the account's keys (``/keys``), and without it the spike
  is unknown;
- what is expected by now: for a management key, the account's forecast (``Balance.forecast``) from
  the UTC day's midnight to now: the weekday model knows a Monday from a Sunday (each day's spend
  spread evenly over its hours), the 7-day average when the history is short (its method named);
  an ordinary key, which may not read ``/activity``, uses its ``usage_weekly / 7`` times the
  fraction of the UTC day gone (OpenRouter's week is the current UTC week from Monday, today
  included: early in the week this understates the pace, so a spike is more likely then);
- a spike: today's spend is above ``multiple`` times what is expected, and at least ``min_dollars``
  (so that $0.02 against $0.005 expected pages nobody).

Pure functions, no I/O, no clock of their own: ``now`` is given.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from .._defaults import DEFAULT_SPIKE_MIN_DOLLARS
from .._forecast import AVERAGE, WEEKDAY, method_words
from .._format import money
from .._money import exact_quotient
from .._windows import utc

if TYPE_CHECKING:
    from .._balance import Balance

__all__ = ["TIMES", "Spike", "key_spike", "spike_of"]

_DAY = 86_400.0
#: The multiplication sign of "3.2x the weekday forecast" (U+00D7).
TIMES = "\u00d7"


@attrs.frozen
class Spike:
    """Today's spend against what was expected of it by ``at`` (an aware UTC time): ``per_day``, what
    the ``basis`` says the whole day spends, and ``by_now`` what it says is spent by ``at`` (None: the
    day's spend prorated by the hour, ``per_day`` times the fraction of the day gone). ``basis`` is a
    forecast's method (``"weekday"``, ``"7-day average"``, ...)."""

    today: float
    per_day: float
    at: dt.datetime
    by_now: float | None = None
    basis: str = AVERAGE

    @property
    def fraction(self) -> float:
        """How much of the UTC day is gone, 0 to 1."""
        midnight = self.at.replace(hour=0, minute=0, second=0, microsecond=0)
        return (self.at - midnight).total_seconds() / _DAY

    @property
    def expected(self) -> float:
        """What the basis would have spent by now."""
        return self.per_day * self.fraction if self.by_now is None else self.by_now

    @property
    def ratio(self) -> float | None:
        """Today's spend over what was expected; None when nothing was expected."""
        expected = self.expected
        return None if expected <= 0 else self.today / expected

    def tripped(self, multiple: float, min_dollars: float = DEFAULT_SPIKE_MIN_DOLLARS) -> bool:
        """Whether today's spend is above ``multiple`` times what was expected, and ``min_dollars`` or more."""
        return self.today >= min_dollars and self.today > multiple * self.expected and self.today > 0

    def describe(self) -> str:
        """``today's spend $X by HH:MM UTC is N(times) the 7-day average ($Y a day)`` (``the weekday
        forecast ($Y for today)``)."""
        per_day = f"{money(self.per_day)} for today" if self.basis == WEEKDAY else f"{money(self.per_day)} a day"
        basis = f"{method_words(self.basis)} ({per_day})"
        ratio = self.ratio
        pace = f"{ratio:.1f}{TIMES} {basis}" if ratio is not None else f"above {basis}"
        return f"today's spend {money(self.today)} by {self.at:%H:%M} UTC is {pace}"


def spike_of(balance: Balance, now: dt.datetime, *, today: float | None = None) -> tuple[Spike | None, str | None]:
    """Today's spend and what was expected of it by ``now`` (the account's forecast for a management
    key, ``usage_weekly / 7`` prorated for an ordinary one), or None and the reason it cannot be
    known. ``today``: a management key's spend today (the sum of ``usage_daily`` over the account's
    keys), which its own ``/key`` cannot tell."""
    key = balance.key
    if key is None:
        return None, balance.unknown.get("key", "the key's usage could not be read")
    if key.is_management_key:
        if today is None:
            return None, (
                "a management key's own usage is 0: today's spend is the sum over the account's keys, "
                "which could not be listed"
            )
        forecast = balance.forecast
        if forecast is None:
            return None, balance.unknown.get("forecast", "the account's spend per day is unknown")
        now = utc(now)
        midnight = dt.datetime.combine(now.date(), dt.time(), dt.UTC)
        by_now = forecast.spend_between(midnight, now).central
        per_day = forecast.spend_between(midnight, midnight + dt.timedelta(days=1)).central
        return Spike(today, per_day, now, by_now, forecast.method), None
    spike = key_spike(key.usage_daily if today is None else today, key.usage_weekly, now)
    if spike is None:
        return None, "OpenRouter did not say this key's daily and weekly usage"
    return spike, None


def key_spike(usage_daily: object, usage_weekly: object, now: dt.datetime) -> Spike | None:
    """The spike of a key that calls models (an ordinary key's ``/key``, or a key of the account as
    ``GET /keys`` lists it): its ``usage_daily`` against ``usage_weekly / 7`` prorated by the hour;
    None when either is not a number of dollars."""
    today = _dollars(usage_daily)
    weekly = _dollars(usage_weekly)
    if today is None or weekly is None:
        return None
    return Spike(today, exact_quotient(weekly, 7), utc(now))


def _dollars(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
