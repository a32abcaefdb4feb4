"""How much is left and for how long: one ``Balance`` from the answers of ``/credits``, ``/key`` and
``/activity``. Pure functions, no I/O; ``get_balance()`` and the exporter both come here.

What cannot be known is ``None`` with a reason in ``unknown``, never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, TypedDict, cast

from ._activity import Activity, DailySpend
from ._exceptions import AuthenticationError, OpenRouterCreditsError, OperationUnavailable, PermissionDeniedError
from ._forecast import WEEKDAY, DaysLeft, Forecast, Range, forecast_spend
from ._format import money
from ._windows import utc

if TYPE_CHECKING:
    from ._api_key import ApiKey
    from ._budgets import BudgetLayer
    from ._credits import Credits
    from ._key_info import KeyInfo

__all__ = ["Balance", "api_errors", "balance_from", "combine", "listed_key_balance"]

_MANAGEMENT = "needs a management (provisioning) key"


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

    Immutable; built by ``combine`` (``listed_key_balance`` for one listed key).
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
            amount, name, whose = self.spendable, "spendable", _LISTED
        else:
            amount, name, whose = self.remaining, "remaining", _ACCOUNT
        projected = _projections(amount, name, daily, None, self.at, unknown, whose)
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


def _failure(what: str, error: OpenRouterCreditsError | None) -> str:
    if isinstance(error, PermissionDeniedError):
        return f"{what} {_MANAGEMENT}"
    if isinstance(error, OperationUnavailable):
        return error.reason  # the API document in use has no GET /key
    return f"{what} could not be read: {error}"


def _spendable(
    remaining: float | None,
    key: KeyInfo | None,
    unknown: Mapping[str, str],
    errors: Mapping[str, OpenRouterCreditsError],
) -> tuple[float | None, float | None, str | None]:
    """What this key may spend, what it may spend at most, and why the first is unknown (None when known).

    Three things cap it: the account's remaining, the key's limit remaining and, when ``/key`` says,
    the remaining of its effective budget (the layer that blocks first). A cap that could not be
    read leaves spendable unknown, never the other cap's larger figure; what is known of the caps
    still bounds it. An ordinary key may not read the account's balance, which caps it all the same:
    what its limit and budgets leave is what it may spend at most (and without a limit, nothing says).
    """
    bounds: list[float] = []  # what spendable is at most
    reasons: list[str] = []  # why it is unknown
    if key is None:
        reasons.append(_failure("the key's own limit", errors.get("key")))
    elif key.limit is not None and key.limit_left is None:
        bounds.append(float(key.limit))
        reasons.append(f"this key has a limit of {money(key.limit)}, but OpenRouter did not say how much of it is left")
    elif key.limit_left is not None:
        bounds.append(key.limit_left)
    budget = None if key is None else key.effective_layer
    if budget is not None:  # the budget layer that blocks first (a guardrail's, a workspace's, ...)
        bounds.append(budget.remaining_usd)
    if remaining is not None:
        bounds.append(remaining)
    elif key is not None and not reasons and not bounds and _unreadable(errors.get("credits")):
        return None, None, f"this key has no limit, and {unknown['remaining']}"
    else:  # the account's remaining caps it too, out of sight or not: the key's figure is a bound
        reasons.append(unknown["remaining"])
    if not reasons:
        return min(bounds), min(bounds), None
    if key is None and remaining is None:
        reasons = ["neither the account's balance nor the key's limit could be read"]
    return None, min(bounds) if bounds else None, "; ".join(reasons)


def _unreadable(error: OpenRouterCreditsError | None) -> bool:
    """Whether the account's balance is out of this key's sight (a 403, or the 0/0 answer), rather
    than a call that failed."""
    return error is None or isinstance(error, PermissionDeniedError)


def combine(
    credits: Credits | None,
    key: KeyInfo | None,
    activity: Activity | None,
    errors: Mapping[str, OpenRouterCreditsError],
    at: dt.datetime | None = None,
) -> Balance:
    """One ``Balance`` from the three answers (None where a call failed, its error in ``errors``),
    given ``at`` (now, unless told): the time its forecast starts from."""
    at = _now(at)
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

    spendable, spendable_at_most, reason = _spendable(remaining, key, unknown, errors)
    if reason is not None:
        unknown["spendable"] = reason
        if spendable_at_most is None:
            unknown["spendable_at_most"] = reason

    daily = None if activity is None else activity.daily_spend
    projected = _projections(remaining, "remaining", daily, unknown.get("daily_spend"), at, unknown, _ACCOUNT)
    return Balance(
        remaining=remaining,
        spendable=spendable,
        spendable_at_most=spendable_at_most,
        credits=credits,
        key=key,
        activity=activity,
        unknown=unknown,
        errors=errors,
        at=at,
        **projected,
    )


#: The Balance's figures that come from the forecast (``_projections``), in the order of their reasons.
_PROJECTED = ("forecast", "spend_per_day", "days_left", "days_left_range", "month_end_spend")
#: Whose spend a balance forecasts, in its reasons: the account's, or a listed key's.
_ACCOUNT = ("the account's", "nothing was spent in the last {days} completed days")
_LISTED = ("the key's", "the key spent nothing in the last {days} completed days")


class _Projected(TypedDict):
    forecast: Forecast | None
    spend_per_day: float | None
    days_left: float | None
    days_left_range: DaysLeft | None
    month_end_spend: Range | None


def _projections(
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


def api_errors(outcomes: Mapping[str, object]) -> dict[str, OpenRouterCreditsError]:
    """The errors among concurrent calls' outcomes (a result or what each raised); anything raised
    that is not an answer from the server (a bug, the caller's cancellation) is raised again here."""
    for outcome in outcomes.values():
        if isinstance(outcome, BaseException) and not isinstance(outcome, OpenRouterCreditsError):
            raise outcome
    return {name: outcome for name, outcome in outcomes.items() if isinstance(outcome, OpenRouterCreditsError)}


def _known_errors(
    outcomes: Mapping[str, object], activity_error: OpenRouterCreditsError | None, sources: tuple[str, str]
) -> dict[str, OpenRouterCreditsError]:
    """The errors of the calls (``outcomes`` and the activity's), once it is sure a Balance can be
    told: raises instead when nothing is known for sure: a 401 anywhere (the key is not accepted, a
    cause every call shares), or both ``sources`` of the balance failing (the second's error is
    raised: ``/key`` or the listing, which say more of the key than ``/credits``). The one home of
    that rule, for the key's own balance and a listed key's."""
    errors = api_errors(outcomes)
    if activity_error is not None:
        errors["activity"] = activity_error
    for error in errors.values():
        if isinstance(error, AuthenticationError):
            raise error
    first, second = sources
    if first in errors and second in errors:
        raise errors[second]
    return errors


def balance_from(
    outcomes: Mapping[str, object],
    activity: Activity | None,
    activity_error: OpenRouterCreditsError | None,
    at: dt.datetime | None = None,
) -> Balance:
    """The Balance of ``/credits`` and ``/key`` (their ``outcomes``: a result, or what the call
    raised) and of the activity (or the error that left it unknown), answered ``at`` (now, unless told).

    Raises instead of answering when nothing is known for sure: a 401 anywhere, or neither
    ``/credits`` nor ``/key`` answered (the ``/key`` error is raised then: any key may call it).
    """
    errors = _known_errors(outcomes, activity_error, ("credits", "key"))
    return combine(
        None if "credits" in errors else cast("Credits", outcomes["credits"]),
        None if "key" in errors else cast("KeyInfo", outcomes["key"]),
        activity,
        errors,
        at,
    )


def listed_key_balance(
    outcomes: Mapping[str, object],
    key_hash: str,
    activity: Activity | None,
    activity_error: OpenRouterCreditsError | None,
    at: dt.datetime | None = None,
) -> Balance:
    """The Balance of the listed key whose hash is ``key_hash``, from the outcomes of ``/credits`` and
    ``list_keys()`` (``"keys"``) and that key's activity (or the error that left it unknown).

    What it may spend is the smaller of its limit left (as listed) and the account's remaining; how
    long that lasts, the forecast of the key's own daily spend says. Raises a 401 (the key is
    not accepted), or the listing's error when neither ``/credits`` nor the listing answered.
    """
    errors = _known_errors(outcomes, activity_error, ("credits", "keys"))
    unknown: dict[str, str] = {}
    credits = None if "credits" in errors else cast("Credits", outcomes["credits"])
    remaining = None if credits is None else credits.remaining
    if credits is None:
        unknown["remaining"] = _failure("the account's balance", errors.get("credits"))
    listed: ApiKey | None = None
    if "keys" in errors:
        unknown["listed_key"] = _failure("the account's keys", errors["keys"])
    else:
        keys = cast("Sequence[ApiKey]", outcomes["keys"])
        listed = next((key for key in keys if key.hash_ == key_hash), None)
        if listed is None:
            unknown["listed_key"] = f"no key of the account has the hash {key_hash[:12]}…"
            note = getattr(keys, "workspaces_note", None)  # a KeyListing of the default workspace only
            if note is not None:
                unknown["listed_key"] = f"no key of the default workspace has the hash {key_hash[:12]}… ({note})"
    unknown["key"] = "this is the balance of a listed key (listed_key); GET /key tells of the management key alone"
    if activity is None:
        unknown["daily_spend"] = _failure("the key's spend", errors.get("activity"))

    bounds: list[float] = []
    reasons: list[str] = []
    if listed is None:
        reasons.append(unknown["listed_key"])
    elif listed.limit is not None and listed.limit_left is None:
        bounds.append(float(listed.limit))
        reasons.append(f"the key has a limit of {money(listed.limit)}, but OpenRouter did not say how much is left")
    elif listed.limit_left is not None:
        bounds.append(listed.limit_left)
    if remaining is not None:
        bounds.append(remaining)
    else:
        reasons.append(unknown["remaining"])
    spendable = None if reasons else min(bounds)
    if reasons:
        unknown["spendable"] = "; ".join(reasons)
        if not bounds:
            unknown["spendable_at_most"] = unknown["spendable"]

    at = _now(at)
    daily = None if activity is None else activity.daily_spend
    projected = _projections(spendable, "spendable", daily, unknown.get("daily_spend"), at, unknown, _LISTED)
    return Balance(
        remaining=remaining,
        spendable=spendable,
        spendable_at_most=min(bounds) if bounds else None,
        credits=credits,
        key=None,
        activity=activity,
        unknown=unknown,
        errors=errors,
        at=at,
        listed_key=listed,
        **projected,
    )


def _now(at: dt.datetime | None) -> dt.datetime:
    return dt.datetime.now(dt.UTC) if at is None else utc(at)
