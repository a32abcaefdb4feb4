"""One poll of one key: ``/credits`` and ``/key`` each time, ``/activity`` at most every 15 minutes,
combined into a Balance by the library's one rule (``balance_from``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

import attrs

from .._activity import Activity
from .._balance import Balance, api_errors, balance_from
from .._exceptions import (
    ERROR_KINDS,
    OpenRouterCreditsError,
    OperationUnavailable,
    PermissionDeniedError,
    RateLimitError,
)
from .._keys_file import KeySpec
from .._money import exact_sum

if TYPE_CHECKING:
    from .._client import AsyncCreditsClient

__all__ = ["KeyState", "ListedKey", "ModelSpend", "poll_key"]


@attrs.frozen
class ListedKey:
    """One of the account's keys, as a management key's ``GET /keys`` lists it (discovered keys):
    its label (never the key), usage, limit (None: none) and limit remaining, and today's usage.

    The discovery poll fills ``KeyState.listed`` with one per key of ``list_keys()``:
    ``ListedKey(k.name or k.label, k.usage, k.limit, k.limit_left, k.usage_daily)``; the page and a
    management key's spike read it, nothing else."""

    name: str
    usage: float
    limit: float | None = None
    limit_remaining: float | None = None
    usage_daily: float | None = None

    @property
    def used(self) -> float | None:
        """The share of its limit used, 0 to 1 (more for a key over it); None without a limit."""
        if self.limit is None or self.limit <= 0 or self.limit_remaining is None:
            return None
        return (self.limit - self.limit_remaining) / self.limit


@attrs.frozen
class ModelSpend:
    """Dollars spent on one model over a window (``"1d"``, ``"7d"``, ``"30d"``: the exporter's
    ``openrouter_credits_model_spend_dollars{key, model, window}``). The discovery poll fills
    ``KeyState.models`` with one per (model, window) of the activity's spend by model."""

    model: str
    window: str
    dollars: float


@attrs.define
class KeyState:
    """What the exporter knows of one key, between polls."""

    spec: KeySpec
    balance: Balance | None = None
    up: bool = False
    polled: bool = False
    #: Whether a poll has succeeded since the exporter started (the first one checks the thresholds).
    polled_ok: bool = False
    last_success: float | None = None
    failing_since: float | None = None
    activity: Activity | None = None
    activity_error: OpenRouterCreditsError | None = None
    activity_at: float | None = None
    errors: dict[str, int] = attrs.Factory(lambda: dict.fromkeys(ERROR_KINDS[1:], 0))
    problem: str | None = None
    #: Discovered keys (``discover = true``): the account's keys as the last ``/keys`` listed them,
    #: filled by the discovery poll; None when the key does not discover (the page then has no such
    #: section, and a management key's spike is unknown).
    listed: tuple[ListedKey, ...] | None = None
    #: Spend per model, filled by the discovery poll alike; None when not known.
    models: tuple[ModelSpend, ...] | None = None

    def today_spend(self) -> float | None:
        """The account's spend today as its keys' ``usage_daily`` sum (a management key's own is 0),
        or None when the keys are not listed (or one does not say)."""
        if self.listed is None or any(k.usage_daily is None for k in self.listed):
            return None
        return exact_sum(k.usage_daily or 0.0 for k in self.listed)


async def poll_key(
    state: KeyState, client: AsyncCreditsClient, *, now: float, activity_interval: float
) -> tuple[Balance | None, OpenRouterCreditsError | None, float]:
    """Poll once: the balance (or the error that makes the poll fail as a whole) and the seconds a
    429 asked the next poll to wait (0 if none). Counts each failed call in ``state.errors``."""
    calls: dict[str, Any] = {"credits": client.get_credits(), "key": client.get_key()}
    if state.activity_at is None or now - state.activity_at >= activity_interval:
        calls["activity"] = client.get_activity()  # at most every 15 minutes, answered or not
        state.activity_at = now
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    outcomes = dict(zip(calls, results, strict=True))
    errors = api_errors(outcomes)
    if "activity" in outcomes:
        # Unknown after a failure: never an old month passed off as current. The error is kept, so
        # the reason stays right on the polls that do not ask /activity again.
        state.activity_error = errors.get("activity")
        state.activity = None if state.activity_error else cast(Activity, outcomes["activity"])
    state.polled = True
    balance: Balance | None = None
    cause: OpenRouterCreditsError | None = None
    try:
        balance = balance_from(
            {"credits": outcomes["credits"], "key": outcomes["key"]}, state.activity, state.activity_error
        )
    except OpenRouterCreditsError as raised:
        cause = raised
    for failed in errors.values():
        if isinstance(failed, OperationUnavailable):
            continue  # no call was made: the document in use lacks the operation, not a failure to count
        # A 403 is what this kind of key gets: counted only when the poll failed as a whole.
        if not isinstance(failed, PermissionDeniedError) or cause is not None:
            state.errors[failed.kind] += 1
    waits = [e.retry_after for e in errors.values() if isinstance(e, RateLimitError) and e.retry_after]
    return balance, cause, max(waits, default=0.0)
