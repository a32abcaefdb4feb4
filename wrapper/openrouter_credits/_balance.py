"""How much is left and for how long: pure functions over the three answers, no I/O.

- ``Activity``: the last 30 completed UTC days of ``GET /activity``, with the spend of each day.
- ``Balance``: one answer from ``/credits``, ``/key`` and ``/activity`` together (``combine``):
  what remains, what this key may still spend, the spend per day and the days left. What cannot be
  known is ``None`` with a reason in ``unknown``, never 0.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from ._exceptions import (
    AuthenticationError,
    OpenRouterCreditsError,
    PermissionDeniedError,
)

if TYPE_CHECKING:
    from openrouter_credits_client.models.activity_item import ActivityItem

    from ._key import KeyInfo
    from ._models import Credits

__all__ = ["Activity", "Balance", "DailySpend", "api_errors", "combine", "exact_sum", "shared_cause", "spend_per_day"]

#: GET /activity covers this many completed UTC days; the spend per day averages the last WEEK of them.
ACTIVITY_DAYS = 30
WEEK = 7

_EXACT = decimal.Context(prec=60)
_MANAGEMENT = "needs a management (provisioning) key"


class DailySpend(NamedTuple):
    """The dollars spent on one UTC day."""

    date: dt.date
    usage: float


def exact_sum(amounts: Iterable[float]) -> float:
    """The sum of the decimals the floats were written as, rounded to a float once (no binary noise)."""
    total = decimal.Decimal(0)
    for amount in amounts:
        total = _EXACT.add(total, decimal.Decimal(repr(amount)))
    return float(total)


class Activity:
    """The account's activity: the rows of ``GET /activity`` and the spend of each of the 30 completed
    UTC days before ``today`` (a day without rows spent 0). Immutable."""

    __slots__ = ("daily_spend", "rows", "today")

    rows: tuple[ActivityItem, ...]
    today: dt.date
    daily_spend: tuple[DailySpend, ...]

    def __init__(self, rows: Iterable[ActivityItem], today: dt.date) -> None:
        rows = tuple(rows)
        days = [today - dt.timedelta(days=back) for back in range(ACTIVITY_DAYS, 0, -1)]
        by_day: dict[str, list[float]] = {day.isoformat(): [] for day in days}
        for row in rows:
            amounts = by_day.get(row.date)
            if amounts is not None:
                amounts.append(row.usage)
        spend = tuple(DailySpend(day, exact_sum(by_day[day.isoformat()])) for day in days)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "today", today)
        object.__setattr__(self, "daily_spend", spend)

    @property
    def total(self) -> float:
        """Dollars spent over the 30 days."""
        return exact_sum(day.usage for day in self.daily_spend)

    @property
    def spend_per_day(self) -> float:
        """The average over the last 7 completed UTC days."""
        return spend_per_day(self.daily_spend)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Activity is immutable: cannot set {name!r}")

    def __repr__(self) -> str:
        return f"Activity(today={self.today.isoformat()}, rows={len(self.rows)}, total={self.total!r})"


def spend_per_day(daily: Sequence[DailySpend]) -> float:
    """The spend of the last ``WEEK`` days of ``daily`` (oldest first), divided by ``WEEK``."""
    week = daily[-WEEK:]
    return float(_EXACT.divide(decimal.Decimal(repr(exact_sum(d.usage for d in week))), decimal.Decimal(WEEK)))


class Balance:
    """How much is left and for how long, from ``/credits``, ``/key`` and ``/activity`` together.

    - ``remaining``: the account's credits left (``/credits``);
    - ``spendable``: what this key may still spend: the smaller of ``remaining`` and the key's limit
      remaining, among those known (a key without a limit does not cap);
    - ``spend_per_day``: the spend of the 7 completed UTC days before today, divided by 7;
    - ``days_left``: ``remaining / spend_per_day`` (None when nothing was spent);
    - ``daily_spend``: the 30 days, oldest first;
    - ``credits``, ``key``, ``activity``: the three answers, None where a call failed or was refused;
    - ``unknown``: for each of the above that is None, the reason; ``errors``: what each failed call
      raised (``"credits"``, ``"key"``, ``"activity"``).
    """

    __slots__ = (
        "activity",
        "credits",
        "daily_spend",
        "days_left",
        "errors",
        "key",
        "remaining",
        "spend_per_day",
        "spendable",
        "unknown",
    )

    remaining: float | None
    spendable: float | None
    spend_per_day: float | None
    days_left: float | None
    daily_spend: tuple[DailySpend, ...] | None
    credits: Credits | None
    key: KeyInfo | None
    activity: Activity | None
    unknown: Mapping[str, str]
    errors: Mapping[str, OpenRouterCreditsError]

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Balance is immutable: cannot set {name!r}")

    def __repr__(self) -> str:
        shown = ("remaining", "spendable", "spend_per_day", "days_left")
        parts = [f"{name}={getattr(self, name)!r}" for name in shown]
        return f"Balance({', '.join(parts)}, unknown={dict(self.unknown)!r})"


def _failure(what: str, error: OpenRouterCreditsError | None) -> str:
    if isinstance(error, PermissionDeniedError):
        return f"{what} {_MANAGEMENT}"
    return f"{what} could not be read: {error}"


def combine(
    credits: Credits | None,
    key: KeyInfo | None,
    activity: Activity | None,
    errors: Mapping[str, OpenRouterCreditsError],
) -> Balance:
    """One ``Balance`` from the three answers (None where a call failed, its error in ``errors``)."""
    unknown: dict[str, str] = {}
    ordinary = key is not None and not key.is_management_key
    remaining: float | None = None
    if credits is not None and ordinary and credits.total_credits == 0 and credits.total_usage == 0:
        credits = None  # what OpenRouter answers some keys that are not management keys: unknown, not $0
        unknown["remaining"] = (
            "OpenRouter answered 0/0, as it does for keys that are not management keys; "
            f"the account's balance {_MANAGEMENT}"
        )
    elif credits is not None:
        remaining = credits.remaining
    else:
        unknown["remaining"] = _failure("the account's balance", errors.get("credits"))
    if key is None:
        unknown["key"] = _failure("the key's own limit and usage", errors.get("key"))
    if activity is None:
        unknown["daily_spend"] = _failure("the account's spend", errors.get("activity"))

    limit_remaining = _limit_remaining(key)
    known = [amount for amount in (remaining, limit_remaining) if amount is not None]
    spendable = min(known) if known else None
    if spendable is None:
        if key is not None and limit_remaining is None:
            unknown["spendable"] = f"this key has no limit, and {unknown['remaining']}"
        else:
            unknown["spendable"] = "neither the account's balance nor the key's limit could be read"

    per_day = None if activity is None else activity.spend_per_day
    if per_day is None:
        unknown["spend_per_day"] = unknown["daily_spend"]
    days_left: float | None = None
    if remaining is not None and per_day:
        days_left = remaining / per_day
    elif remaining is None:
        unknown["days_left"] = unknown["remaining"]
    elif per_day is None:
        unknown["days_left"] = unknown["spend_per_day"]
    else:
        unknown["days_left"] = "nothing was spent in the last 7 completed days"
    return Balance(
        remaining=remaining,
        spendable=spendable,
        spend_per_day=per_day,
        days_left=days_left,
        daily_spend=None if activity is None else activity.daily_spend,
        credits=credits,
        key=key,
        activity=activity,
        unknown=MappingProxyType(unknown),
        errors=MappingProxyType(dict(errors)),
    )


def _limit_remaining(key: KeyInfo | None) -> float | None:
    """What the key's own limit still allows; None for no key view or a key without a limit."""
    if key is None or key.limit is None:
        return None
    remaining = key.limit_remaining
    return float(remaining) if isinstance(remaining, int | float) else None


def api_errors(outcomes: Mapping[str, object]) -> dict[str, OpenRouterCreditsError]:
    """The errors among concurrent calls' outcomes (a result or what each raised); anything raised
    that is not an answer from the server (a bug, the caller's cancellation) is raised again here."""
    for outcome in outcomes.values():
        if isinstance(outcome, BaseException) and not isinstance(outcome, OpenRouterCreditsError):
            raise outcome
    return {name: outcome for name, outcome in outcomes.items() if isinstance(outcome, OpenRouterCreditsError)}


def shared_cause(errors: Mapping[str, OpenRouterCreditsError]) -> OpenRouterCreditsError | None:
    """The error ``get_balance()`` raises instead of answering: a 401 (the key is not accepted, a
    cause all three share), or the failure of all three (the ``/key`` one, which any key may call)."""
    for error in errors.values():
        if isinstance(error, AuthenticationError):
            return error
    if len(errors) == 3:
        return errors["key"]
    return None
