"""The rules that combine answers into one ``Balance``: what this key may spend (``combine``), which
failures still leave a balance to tell (``balance_from``, ``listed_key_balance``: a 401 anywhere, or
both sources failing, raises), and the plan of ``get_balance()`` (``balance_plan``: the three calls
at once). Pure functions, no I/O; ``get_balance()`` and the exporter both come here.

What cannot be known is ``None`` with a reason in ``unknown``, never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

from ._activity import Activity, activity_params
from ._balance import ACCOUNT, LISTED, Balance, projections
from ._exceptions import AuthenticationError, OpenRouterCreditsError, OperationUnavailable, PermissionDeniedError
from ._format import money
from ._plan import Plan, Request
from ._windows import utc

if TYPE_CHECKING:
    from openrouter_credits_client.models.activity_item import ActivityItem

    from ._api_key import ApiKey
    from ._credits import Credits
    from ._key_info import KeyInfo

__all__ = ["api_errors", "balance_calls", "balance_from", "balance_of", "balance_plan", "combine", "listed_key_balance"]

_MANAGEMENT = "needs a management (provisioning) key"


def balance_plan(key_hash: str | None, now: dt.datetime) -> Plan[Balance]:
    """The plan of ``get_balance()`` asked ``now``: ``balance_calls(key_hash)`` at once, then
    ``balance_of`` their outcomes. ``key_hash`` is checked now, before any I/O."""
    return _balance(balance_calls(key_hash), key_hash, now)


def _balance(calls: Mapping[str, Request], key_hash: str | None, now: dt.datetime) -> Plan[Balance]:
    outcomes = yield list(calls.values())
    return balance_of(dict(zip(calls, outcomes, strict=True)), key_hash, now)


def balance_calls(key_hash: str | None) -> dict[str, Request]:
    """What ``get_balance()`` calls at once, by name: ``/credits``, ``/key`` and ``/activity``; with
    ``key_hash``, ``/credits``, the whole listing (``"keys"``: ``list_keys()``, disabled keys included)
    and that key's ``/activity``. Checks ``key_hash`` before any I/O."""
    activity = Request("activity", activity_params(key_hash))
    if key_hash is None:
        return {"credits": Request("credits"), "key": Request("key"), "activity": activity}
    listing = Request("list_keys", {"include_disabled": True})
    return {"credits": Request("credits"), "keys": listing, "activity": activity}


def balance_of(outcomes: Mapping[str, object], key_hash: str | None, now: dt.datetime) -> Balance:
    """The Balance of the outcomes of ``balance_calls(key_hash)`` (a result, or the error a call
    raised), asked ``now``: the key's own, or with ``key_hash`` that listed key's."""
    rows = outcomes["activity"]
    activity_error = api_errors({"activity": rows}).get("activity")
    activity = None if activity_error is not None else Activity(cast("list[ActivityItem]", rows), now.date())
    answers = {name: outcome for name, outcome in outcomes.items() if name != "activity"}
    if key_hash is None:
        return balance_from(answers, activity, activity_error, now)
    return listed_key_balance(answers, key_hash.strip(), activity, activity_error, now)


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
    remaining: float | None = None
    zero = credits is not None and credits.total_credits == 0 and credits.total_usage == 0
    if zero and (key is None or not key.is_management_key):
        # What OpenRouter answers some keys that are not management keys: unknown, not $0; and when
        # /key failed, which kind this key is cannot be told.
        credits = None
        unknown["remaining"] = "OpenRouter answered 0/0, as it does for keys that are not management keys; " + (
            f"the account's balance {_MANAGEMENT}"
            if key is not None
            else "whether this key is one could not be told: "
            + _failure("the key's own limit and usage", errors.get("key"))
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
    projected = projections(remaining, "remaining", daily, unknown.get("daily_spend"), at, unknown, ACCOUNT)
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
    projected = projections(spendable, "spendable", daily, unknown.get("daily_spend"), at, unknown, LISTED)
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
