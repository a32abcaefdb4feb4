"""How much is left and for how long: one ``Balance`` from the answers of ``/credits``, ``/key`` and
``/activity``. Pure functions, no I/O; ``get_balance()`` and the exporter both come here.

What cannot be known is ``None`` with a reason in ``unknown``, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from ._activity import Activity, DailySpend
from ._exceptions import AuthenticationError, OpenRouterCreditsError, PermissionDeniedError

if TYPE_CHECKING:
    from ._key import KeyInfo
    from ._models import Credits

__all__ = ["Balance", "api_errors", "balance_from", "combine"]

_MANAGEMENT = "needs a management (provisioning) key"


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

    Immutable; built by ``combine``.
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
    ) -> None:
        values = {
            "remaining": remaining,
            "spendable": spendable,
            "spend_per_day": spend_per_day,
            "days_left": days_left,
            "daily_spend": None if activity is None else activity.daily_spend,
            "credits": credits,
            "key": key,
            "activity": activity,
            "unknown": MappingProxyType(dict(unknown)),
            "errors": MappingProxyType(dict(errors)),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

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

    limit_left = None if key is None else key.limit_left
    known = [amount for amount in (remaining, limit_left) if amount is not None]
    spendable = min(known) if known else None
    if spendable is None:
        if key is not None and limit_left is None:
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
        credits=credits,
        key=key,
        activity=activity,
        unknown=unknown,
        errors=errors,
    )


def api_errors(outcomes: Mapping[str, object]) -> dict[str, OpenRouterCreditsError]:
    """The errors among concurrent calls' outcomes (a result or what each raised); anything raised
    that is not an answer from the server (a bug, the caller's cancellation) is raised again here."""
    for outcome in outcomes.values():
        if isinstance(outcome, BaseException) and not isinstance(outcome, OpenRouterCreditsError):
            raise outcome
    return {name: outcome for name, outcome in outcomes.items() if isinstance(outcome, OpenRouterCreditsError)}


def balance_from(
    outcomes: Mapping[str, object], activity: Activity | None, activity_error: OpenRouterCreditsError | None
) -> Balance:
    """The Balance of ``/credits`` and ``/key`` (their ``outcomes``: a result, or what the call
    raised) and of the activity (or the error that left it unknown).

    Raises instead of answering when nothing is known for sure: a 401 anywhere (the key is not
    accepted, a cause every call shares), or neither ``/credits`` nor ``/key`` answered (the ``/key``
    error is raised then: any key may call it).
    """
    errors = api_errors(outcomes)
    if activity_error is not None:
        errors["activity"] = activity_error
    for error in errors.values():
        if isinstance(error, AuthenticationError):
            raise error
    if "credits" in errors and "key" in errors:
        raise errors["key"]
    return combine(
        None if "credits" in errors else cast("Credits", outcomes["credits"]),
        None if "key" in errors else cast("KeyInfo", outcomes["key"]),
        activity,
        errors,
    )
