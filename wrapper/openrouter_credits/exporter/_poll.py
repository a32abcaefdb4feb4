"""One poll of one key: ``/credits`` and ``/key`` each time, ``/activity`` at most every 15 minutes
(at the next poll after it failed), combined into a Balance by the library's one rule
(``balance_from``); for a key with ``discover``, the account's keys (``list_keys()``) at most once a
minute, apart from the balance. Each call's last outcome is kept (``KeyState.calls``): a poll whose
balance is known may still lack part of what it needs."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

import attrs

from .. import _defaults
from .._activity import Activity
from .._apps.config_file import KeySpec
from .._apps.metrics import refused
from .._balance import Balance
from .._combine import api_errors, balance_from
from .._exceptions import (
    ERROR_KINDS,
    OpenRouterCreditsError,
    OperationUnavailable,
    PermissionDeniedError,
    RateLimitError,
)
from .._money import exact_sum

if TYPE_CHECKING:
    from .._apps.teams import Assignment, TeamSpend
    from .._client import AsyncCreditsClient
    from .._key_info import KeyInfo
    from .._listing import KeyListing

__all__ = ["KeyState", "poll_key"]


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
    #: The account's keys (``discover``): the last listing, None when the last one failed. It says
    #: when it holds only the default workspace's keys (``complete``, ``workspaces_note``).
    listed: KeyListing | None = None
    listed_at: float | None = None
    #: A 429 on /keys: not asked again before this (monotonic) time.
    listing_not_before: float = 0.0
    #: Whether the warning that the listing exceeds max_keys was given.
    warned_max_keys: bool = False
    #: Why the last listings held only the default workspace's keys, once logged (None: not so).
    default_only: str | None = None
    #: Each call's last outcome (``credits``, ``key``, ``activity``, ``keys``): True when it answered,
    #: False when it failed; a call this kind of key may not make, or not made yet, is absent.
    calls: dict[str, bool] = attrs.Factory(dict)
    #: Each failed call's error, as long as it fails (the calls absent from ``calls`` never here).
    call_errors: dict[str, OpenRouterCreditsError] = attrs.Factory(dict)
    #: What /healthz and the page say of the calls that failed while the balance was read (None: none).
    incomplete: str | None = None
    #: The failed calls the log has told of (each logged once when it fails, once when it answers).
    logged_calls: set[str] = attrs.Factory(set)
    #: Each listed key's team (``[teams.NAME]``), from the last listing; None without teams or listing.
    teams: Assignment | None = None
    #: The listing ``teams`` was made from (made again for each new listing), and each team's spend.
    teams_of: KeyListing | None = None
    team_spends: list[TeamSpend] = attrs.Factory(list)

    def failed_calls(self) -> dict[str, OpenRouterCreditsError]:
        """The calls whose last attempt failed, with their errors."""
        return {name: self.call_errors[name] for name, ok in self.calls.items() if not ok}

    def today_spend(self) -> float | None:
        """The account's spend today as its keys' ``usage_daily`` sum (a management key's own is 0),
        or None when the keys are not listed."""
        if self.listed is None:
            return None
        return exact_sum(key.usage_daily for key in self.listed)


async def poll_key(
    state: KeyState,
    client: AsyncCreditsClient,
    *,
    now: float,
    activity_interval: float,
    keys_interval: float = _defaults.MIN_KEYS_INTERVAL,
) -> tuple[Balance | None, OpenRouterCreditsError | None, float]:
    """Poll once: the balance (or the error that makes the poll fail as a whole) and the seconds a
    429 asked the next poll to wait (0 if none). Counts each failed call in ``state.errors``.

    With ``discover``, ``/keys`` too, at most every ``keys_interval`` (one minute at least) and not
    before a 429 on it allows (its Retry-After capped at ``MAX_POLL_WAIT``): its failure alone drops
    the listing (``state.listed`` None) and is counted, but fails neither the poll nor the balance
    (the poll is incomplete: ``state.calls["keys"]`` False).

    The balance is answered at the client's time (its ``clock``, as ``get_balance()`` does): the
    days of ``/activity`` and the forecast's "now" from one clock."""
    at = client._now()
    calls: dict[str, Any] = {"credits": client.get_credits(), "key": client.get_key()}
    if (
        state.activity_at is None
        or now - state.activity_at >= activity_interval
        or state.calls.get("activity") is False
    ):
        calls["activity"] = client.get_activity()  # at most every 15 minutes, or again after a failure
        state.activity_at = now
    due = state.listed_at is None or now - state.listed_at >= max(keys_interval, _defaults.MIN_KEYS_INTERVAL)
    if state.spec.discover and now >= state.listing_not_before and due:
        calls["keys"] = client.list_keys(include_disabled=True)
        state.listed_at = now
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    outcomes = dict(zip(calls, results, strict=True))
    errors = api_errors(outcomes)
    if "keys" in outcomes:
        listing_error = errors.get("keys")
        state.listed = None if listing_error else cast("KeyListing", outcomes["keys"])
        if isinstance(listing_error, RateLimitError):  # capped as the balance's wait is
            wait = min(listing_error.retry_after or _defaults.KEYS_RATE_LIMIT_WAIT, _defaults.MAX_POLL_WAIT)
            state.listing_not_before = now + wait
    if "activity" in outcomes:
        # Unknown after a failure: never an old month passed off as current. The error is kept, so
        # the reason stays right on the polls that do not ask /activity again.
        state.activity_error = errors.get("activity")
        state.activity = None if state.activity_error else cast(Activity, outcomes["activity"])
    state.polled = True
    key = outcomes["key"] if not isinstance(outcomes["key"], BaseException) else None
    for name in outcomes:
        error = errors.get(name)
        if error is None:
            state.calls[name] = True
            state.call_errors.pop(name, None)
        elif refused(name, error, cast("KeyInfo | None", key)):
            state.calls.pop(name, None)
            state.call_errors.pop(name, None)
        else:
            state.calls[name] = False
            state.call_errors[name] = error
    balance: Balance | None = None
    cause: OpenRouterCreditsError | None = None
    try:
        balance = balance_from(
            {"credits": outcomes["credits"], "key": outcomes["key"]}, state.activity, state.activity_error, at
        )
    except OpenRouterCreditsError as raised:
        cause = raised
    for failed in errors.values():
        if isinstance(failed, OperationUnavailable):
            continue  # no call was made: the document in use lacks the operation, not a failure to count
        # A 403 is what this kind of key gets: counted only when the poll failed as a whole.
        if not isinstance(failed, PermissionDeniedError) or cause is not None:
            state.errors[failed.kind] += 1
    waits = [
        e.retry_after
        for name, e in errors.items()
        if name != "keys" and isinstance(e, RateLimitError) and e.retry_after
    ]
    return balance, cause, max(waits, default=0.0)
