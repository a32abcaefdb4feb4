"""Spend spikes: today's spend so far against the 7-day average, prorated by the hour of the UTC day.

The one home of the rule, which the one-shot command (``--spike``) and the exporter's alerts share:

- today's spend so far: an ordinary key's ``usage_daily`` (``/key``, the current UTC day); a
  management key's own usage is 0 on OpenRouter (it cannot call models), so for it the caller passes
  ``today``: the sum of ``usage_daily`` over the account's keys (``/keys``), and without it the spike
  is unknown;
- the 7-day average a day: the account's ``Balance.spend_per_day`` for a management key; an ordinary
  key, which may not read ``/activity``, uses its ``usage_weekly / 7`` (OpenRouter's week is the
  current UTC week from Monday, today included: early in the week this understates the pace, so a
  spike is more likely then);
- what is expected by now: that average times the fraction of the UTC day gone;
- a spike: today's spend is above ``multiple`` times what is expected, and at least ``min_dollars``
  (so that $0.02 against $0.005 expected pages nobody).

Pure functions, no I/O, no clock of their own: ``now`` is given.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from .._defaults import DEFAULT_SPIKE_MIN_DOLLARS
from .._format import money
from .._money import exact_quotient
from .._windows import utc

if TYPE_CHECKING:
    from .._balance import Balance

__all__ = ["TIMES", "Spike", "spike_of"]

_DAY = 86_400.0
#: The multiplication sign of "3.2x the 7-day average" (U+00D7).
TIMES = "\u00d7"


@attrs.frozen
class Spike:
    """Today's spend against the pace of the last 7 days, at ``at`` (an aware UTC time)."""

    today: float
    per_day: float
    at: dt.datetime

    @property
    def fraction(self) -> float:
        """How much of the UTC day is gone, 0 to 1."""
        midnight = self.at.replace(hour=0, minute=0, second=0, microsecond=0)
        return (self.at - midnight).total_seconds() / _DAY

    @property
    def expected(self) -> float:
        """What the 7-day pace would have spent by now."""
        return self.per_day * self.fraction

    @property
    def ratio(self) -> float | None:
        """Today's spend over what was expected; None when nothing was expected."""
        expected = self.expected
        return None if expected <= 0 else self.today / expected

    def tripped(self, multiple: float, min_dollars: float = DEFAULT_SPIKE_MIN_DOLLARS) -> bool:
        """Whether today's spend is above ``multiple`` times what was expected, and ``min_dollars`` or more."""
        return self.today >= min_dollars and self.today > multiple * self.expected and self.today > 0

    def describe(self) -> str:
        """``today's spend $X by HH:MM UTC is N(times) the 7-day average ($Y a day)``."""
        ratio = self.ratio
        pace = f"{ratio:.1f}{TIMES} the 7-day average" if ratio is not None else "above the 7-day average"
        return f"today's spend {money(self.today)} by {self.at:%H:%M} UTC is {pace} ({money(self.per_day)} a day)"


def spike_of(balance: Balance, now: dt.datetime, *, today: float | None = None) -> tuple[Spike | None, str | None]:
    """Today's spend and the 7-day average of ``balance``'s key at ``now``, or None and the reason it
    cannot be known. ``today``: a management key's spend today (the sum of ``usage_daily`` over the
    account's keys), which its own ``/key`` cannot tell."""
    key = balance.key
    if key is None:
        return None, balance.unknown.get("key", "the key's usage could not be read")
    if key.is_management_key:
        if today is None:
            return None, (
                "a management key's own usage is 0: today's spend is the sum over the account's keys, "
                "which could not be listed"
            )
        if balance.spend_per_day is None:
            return None, balance.unknown.get("spend_per_day", "the account's spend per day is unknown")
        per_day = balance.spend_per_day
    else:
        if today is None:
            today = _dollars(key.usage_daily)
        weekly = _dollars(key.usage_weekly)
        if today is None or weekly is None:
            return None, "OpenRouter did not say this key's daily and weekly usage"
        per_day = exact_quotient(weekly, 7)
    return Spike(today, per_day, utc(now)), None


def _dollars(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
