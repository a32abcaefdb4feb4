"""How much is left and for how long: what a ``Balance`` is, and the figures its forecast gives
(spend per day, days left, the month's end). How the answers of ``/credits``, ``/key`` and ``/activity``
combine into one is ``_combine``'s.

What cannot be known is ``None`` with a reason in ``unknown``, never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, TypedDict

from ._forecast import WEEKDAY, DaysLeft, Forecast, Range, forecast_spend
from ._windows import utc

if TYPE_CHECKING:
    from ._activity import Activity, DailySpend
    from ._api_key import ApiKey
    from ._budgets import BudgetLayer
    from ._credits import Credits
    from ._exceptions import OpenRouterCreditsError
    from ._key_info import KeyInfo

__all__ = ["ACCOUNT", "LISTED", "Balance", "projections"]


class Balance:
    """How much is left and for how long, from ``/credits``, ``/key`` and ``/activity`` together.

    - ``remaining``: the account's credits left (``/credits``), negative for an account in debt;
    - ``spendable``: what this key may still spend: the smallest of ``remaining``, the key's limit
      remaining (a key without a limit does not cap) and the ``remaining_usd`` of the budget layer
      that blocks first (``key.effective_layer``: a guardrail's, a workspace's, ... when ``/key``
      reports budgets); unknown when the account or the key could not be read, and for an ordinary
      key, which may not read ``remaining`` (its limit and budgets bound it: ``spendable_at_most``);
    - ``budget``: the effective budget layer when it is what caps ``spendable`` (or, unknown, its
      bound; below the account's remaining) and is not the key's own limit, else None;
    - ``spendable_at_most``: ``spendable`` when known, else the most it can be by what is known (the
      account's remaining when ``/key`` failed; an ordinary key's limit and budgets, the account's
      balance being out of its sight); None when nothing bounds it;
    - ``forecast``: the ``Forecast`` of the days to come, made at ``at`` from ``daily_spend`` (or a
      longer history: ``reforecast``): its ``method`` is ``"weekday"`` with 14 days of spend or more,
      else the 7-day average, ``reason`` saying why; every figure below comes from it;
    - ``spend_per_day``: the forecast's central spend of an average day of the coming week (with
      less than 14 days of spend, the spend of the 7 completed UTC days before today divided by 7);
    - ``days_left``: how long ``remaining`` lasts at the forecast's central spend (``days_left_range``
      its 80 % range: ``DaysLeft(central, low, high)``, ``high`` ``math.inf`` when the low end spends
      nothing); 0 when nothing remains, and for an account in debt (usage above credits,
      ``remaining`` negative); None when the forecast spends nothing;
    - ``month_end_spend``: the calendar month's spend by its end (what the history spent of it, and
      the forecast of the rest), with its range (``Range(central, low, high)``);
    - ``daily_spend``: the 30 days, oldest first;
    - ``credits``, ``key``, ``activity``: the three answers, None where a call failed or was refused;
    - ``at``: when the answers came (an aware UTC time, by the client's clock), the "now" of the
      figures that depend on it (``key.resets_at(balance.at)``);
    - ``unknown``: for each of the above that is None, the reason; ``errors``: what each failed call
      raised (``"credits"``, ``"key"``, ``"activity"``).

    ``get_balance(key_hash=...)`` (a management key) gives the balance of one key of the account: then
    ``listed_key`` is its entry in ``list_keys()`` (``key`` is None), ``spendable`` the smaller of its
    limit left and ``remaining``, the forecast from its own activity, and ``days_left`` how long
    ``spendable`` lasts (errors ``"credits"``, ``"keys"``, ``"activity"``).

    Immutable; built by ``_combine.combine`` (``listed_key_balance`` for one listed key).
    """

    __slots__ = (
        "activity",
        "at",
        "credits",
        "daily_spend",
        "days_left",
        "days_left_range",
        "errors",
        "forecast",
        "key",
        "listed_key",
        "month_end_spend",
        "remaining",
        "spend_per_day",
        "spendable",
        "spendable_at_most",
        "unknown",
    )

    remaining: float | None
    spendable: float | None
    spendable_at_most: float | None
    spend_per_day: float | None
    days_left: float | None
    daily_spend: tuple[DailySpend, ...] | None
    credits: Credits | None
    key: KeyInfo | None
    activity: Activity | None
    unknown: Mapping[str, str]
    errors: Mapping[str, OpenRouterCreditsError]
    at: dt.datetime
    listed_key: ApiKey | None
    forecast: Forecast | None
    days_left_range: DaysLeft | None
    month_end_spend: Range | None

    def __init__(
        self,
        *,
        remaining: float | None,
        spendable: float | None,
        spend_per_day: float | None,
        days_left: float | None,
        credits: Credits | None,
        key: KeyInfo | None,
        activity: Activity | None,
        unknown: Mapping[str, str],
        errors: Mapping[str, OpenRouterCreditsError],
        spendable_at_most: float | None = None,
        at: dt.datetime | None = None,
        listed_key: ApiKey | None = None,
        forecast: Forecast | None = None,
        days_left_range: DaysLeft | None = None,
        month_end_spend: Range | None = None,
    ) -> None:
        values = {
            "remaining": remaining,
            "spendable": spendable,
            "spendable_at_most": spendable if spendable is not None else spendable_at_most,
            "spend_per_day": spend_per_day,
            "days_left": days_left,
            "daily_spend": None if activity is None else activity.daily_spend,
            "credits": credits,
            "key": key,
            "activity": activity,
            "unknown": MappingProxyType(dict(unknown)),
            "errors": MappingProxyType(dict(errors)),
            "at": dt.datetime.now(dt.UTC) if at is None else utc(at),
            "listed_key": listed_key,
            "forecast": forecast,
            "days_left_range": days_left_range,
            "month_end_spend": month_end_spend,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Balance is immutable: cannot set {name!r}")

    @property
    def budget(self) -> BudgetLayer | None:
        """The budget layer that caps ``spendable`` (``key.effective_layer``, when its remaining is
        what may be spent, or at most, and is below the account's remaining), else None; None too
        when that layer is the key's own limit (scope ``key_limit``), which caps it as it always has."""
        layer = None if self.key is None else self.key.effective_layer
        capped = self.spendable if self.spendable is not None else self.spendable_at_most
        if layer is None or layer.is_key_limit or capped is None or layer.remaining_usd != capped:
            return None
        if self.remaining is not None and layer.remaining_usd >= self.remaining:
            return None
        return layer

    def reforecast(self, daily: Sequence[tuple[dt.date, float]]) -> Balance:
        """This balance, its forecast made from ``daily`` instead of the 30 days of ``/activity``: the
        spend of the completed UTC days before ``at``, oldest first (``DailySpend``s or pairs of a date
        and dollars), such as a ledger's longer history (more weeks make the weekday model's shape
        surer). ``spend_per_day``, ``days_left``, ``days_left_range`` and ``month_end_spend`` follow it;
        ``daily_spend`` stays the 30 days of ``/activity``. Days from ``at``'s on are left out; a history
        that is not one (days out of order, a spend below 0) leaves them unknown, saying why."""
        unknown = dict(self.unknown)
        if self.listed_key is not None or "listed_key" in unknown:
            amount, name, whose = self.spendable, "spendable", LISTED
        else:
            amount, name, whose = self.remaining, "remaining", ACCOUNT
        projected = projections(amount, name, daily, None, self.at, unknown, whose)
        return Balance(
            remaining=self.remaining,
            spendable=self.spendable,
            spendable_at_most=self.spendable_at_most,
            credits=self.credits,
            key=self.key,
            activity=self.activity,
            unknown=unknown,
            errors=self.errors,
            at=self.at,
            listed_key=self.listed_key,
            **projected,
        )

    def __repr__(self) -> str:
        shown = ("remaining", "spendable", "spend_per_day", "days_left")
        parts = [f"{name}={getattr(self, name)!r}" for name in shown]
        return f"Balance({', '.join(parts)}, unknown={dict(self.unknown)!r})"


#: The Balance's figures that come from the forecast (``projections``), in the order of their reasons.
_PROJECTED = ("forecast", "spend_per_day", "days_left", "days_left_range", "month_end_spend")
#: Whose spend a balance forecasts, in its reasons: the account's, or a listed key's.
ACCOUNT = ("the account's", "nothing was spent in the last {days} completed days")
LISTED = ("the key's", "the key spent nothing in the last {days} completed days")


class _Projected(TypedDict):
    forecast: Forecast | None
    spend_per_day: float | None
    days_left: float | None
    days_left_range: DaysLeft | None
    month_end_spend: Range | None


def projections(
    amount: float | None,
    name: str,
    daily: Sequence[tuple[dt.date, float]] | None,
    why: str | None,
    at: dt.datetime,
    unknown: dict[str, str],
    whose: tuple[str, str],
) -> _Projected:
    """The forecast of ``daily`` at ``at`` (None: unknown, for the reason ``why``) and what it says of
    ``amount`` (what is left, known as ``name``): the Balance's keywords ``_PROJECTED``, each None
    with its reason in ``unknown``. Days left are 0 when nothing is left (or in debt), whatever the
    spend; None when the forecast spends nothing."""
    for field in _PROJECTED:
        unknown.pop(field, None)
    forecast: Forecast | None = None
    if daily is not None:
        try:
            forecast = forecast_spend([day for day in daily if day[0] < at.date()], at=at)
        except ValueError as error:  # a history given directly (reforecast) that is not one
            why = f"{whose[0]} daily spend cannot be forecast: {error}"
    reason = why or f"{whose[0]} daily spend is unknown"
    left: DaysLeft | None = None
    if amount is not None and amount <= 0:
        left = DaysLeft(0.0, 0.0, 0.0)
    elif amount is None:
        unknown["days_left"] = unknown[name]
    elif forecast is None:
        unknown["days_left"] = reason
    else:
        left = forecast.days_left(amount)
        if left is None:
            unknown["days_left"] = _idle(forecast, whose[1])
    month = None if forecast is None else forecast.month_end_spend()
    if forecast is None:
        unknown["forecast"] = unknown["spend_per_day"] = reason
    if left is None:
        unknown["days_left_range"] = unknown["days_left"]
    if month is None:
        unknown["month_end_spend"] = (
            reason if forecast is None else "the history does not reach back to the first day of this month"
        )
    return _Projected(
        forecast=forecast,
        spend_per_day=None if forecast is None else forecast.spend_per_day,
        days_left=None if left is None else left.central,
        days_left_range=left,
        month_end_spend=month,
    )


def _idle(forecast: Forecast, nothing: str) -> str:
    """Why ``forecast`` gives no days left: it spends nothing (or so little that no calendar ends)."""
    if forecast.spend_per_day > 0:
        return "the forecast spends so little that the amount outlasts any calendar"
    if forecast.history_days == 0:
        return forecast.reason or "there is no history of spend"
    if forecast.method == WEEKDAY:
        return "the weekday model forecasts no spend: nothing was spent in the days its level rests on"
    return nothing.format(days=forecast.history_days)
