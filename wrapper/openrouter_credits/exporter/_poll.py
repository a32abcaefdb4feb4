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

if TYPE_CHECKING:
    from .._client import AsyncCreditsClient

__all__ = ["KeyState", "poll_key"]


@attrs.define
class KeyState:
    """What the exporter knows of one key, between polls."""

    spec: KeySpec
    balance: Balance | None = None
    up: bool = False
    polled: bool = False
    last_success: float | None = None
    failing_since: float | None = None
    activity: Activity | None = None
    activity_error: OpenRouterCreditsError | None = None
    activity_at: float | None = None
    errors: dict[str, int] = attrs.Factory(lambda: dict.fromkeys(ERROR_KINDS[1:], 0))
    problem: str | None = None


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
