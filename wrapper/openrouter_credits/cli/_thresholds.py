"""The view's verdict: which calls failed, the thresholds (--below, --days-below, --spike, or a key's
settings under --config), and the exit status they give together: the highest that applies, so that
a check that could not be made is never hidden by one that tripped."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from .._defaults import DEFAULT_SPIKE_MIN_DOLLARS
from .._exceptions import OpenRouterCreditsError, OperationUnavailable, PermissionDeniedError
from .._money import exact_sum
from ._common import EXIT_AUTH, EXIT_BELOW, exit_code, worst

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._balance import Balance

    #: A management key's listing: its keys, the error that left them unknown, or None (not read).
    Listing = list[ApiKey] | OpenRouterCreditsError | None

__all__ = [
    "THRESHOLD_NAMES",
    "call_failures",
    "check_thresholds",
    "days_left_compared",
    "is_management",
    "listing_failure",
    "worst_error",
]


def is_management(balance: Balance) -> bool:
    """Whether ``/key`` said this is a management key (not known when it failed: no)."""
    return balance.key is not None and balance.key.is_management_key


def call_failures(balance: Balance) -> list[OpenRouterCreditsError]:
    """The calls that failed for another reason than this key's kind (a 403 is expected for it) or
    the API document in use (an operation it lacks: its part is unknown, with that reason)."""
    expected = (PermissionDeniedError, OperationUnavailable)
    return [error for error in balance.errors.values() if not isinstance(error, expected)]


def listing_failure(
    balance: Balance, listing: Listing, thresholds: argparse.Namespace
) -> OpenRouterCreditsError | None:
    """The listing's error when a spike needed it (a management key's today is the listed keys' sum)."""
    needed = getattr(thresholds, "spike", None) is not None and is_management(balance)
    return listing if needed and isinstance(listing, OpenRouterCreditsError) else None


def worst_error(balance: Balance, listing: Listing, thresholds: argparse.Namespace) -> OpenRouterCreditsError | None:
    """The error the JSON view carries: of the calls that failed (a listing a spike needed among
    them), the first of those that give the highest exit status; None when none failed."""
    failed = [*call_failures(balance), listing_failure(balance, listing, thresholds)]
    return max((error for error in failed if error is not None), key=exit_code, default=None)


def days_left_compared(balance: Balance, *, conservative: bool) -> tuple[float | None, str]:
    """The days left a threshold compares, and how a message names them: the forecast's central value
    (``balance.days_left``), or with ``conservative`` the low end of its 80 % range (`` at the low end
    of the forecast's range``; the central value when no range is known)."""
    left = balance.days_left_range
    if conservative and left is not None and left.low is not None:
        return left.low, " at the low end of its range"
    return balance.days_left, ""


#: How the thresholds are named in messages: the options, or a key's settings in --config.
THRESHOLD_NAMES = {"below": "--below", "days_below": "--days-below", "spike": "--spike"}


def check_thresholds(
    balance: Balance,
    args: argparse.Namespace,
    stream: TextIO,
    names: dict[str, str] = THRESHOLD_NAMES,
    *,
    listing: Listing = None,
    named: dict[str, str] | None = None,
    failed: bool = False,
) -> int:
    """The exit status --below, --days-below and --spike give, saying on ``stream`` why when not 0:
    a line for each threshold that tripped, named by it (``below:``, ``days-below:``, ``spike:``),
    and an error line for each that could not be checked. A threshold that could not be checked is
    never hidden by one that tripped: the highest status is returned. When calls ``failed`` (their
    errors are reported apart), they say why figures are unknown, and give the status instead of 3.
    The spike is judged at the balance's time (``balance.at``: the client's clock); a management
    key's spend today is the sum over its ``listing``."""
    from .._format import days, money

    statuses: list[int] = []
    unknown: list[str] = []
    if args.below is not None:
        at_most = balance.spendable_at_most
        if balance.spendable is None and at_most is not None and at_most < args.below:
            # Unknown, but whatever it is, it is under the threshold.
            print(f"below: spendable is at most {money(at_most)}, under {money(args.below)}", file=stream)
            statuses.append(EXIT_BELOW)
        elif balance.spendable is None:
            unknown.append(
                f"{names['below']} needs what this key may spend, which is unknown: {balance.unknown['spendable']}."
            )
        elif balance.spendable < args.below:
            print(f"below: spendable {money(balance.spendable)} is under {money(args.below)}", file=stream)
            statuses.append(EXIT_BELOW)
    spike = getattr(args, "spike", None)
    listing_failed = listing_failure(balance, listing, args)
    if spike is not None and listing_failed is not None:
        # Said whatever else failed: the listing is a call of the spike's own.
        print(
            f"error: {names['spike']} needs today's spend, the sum of usage_daily over the account's keys, which "
            f"could not be listed: {listing_failed.describe(named or {})}",
            file=stream,
        )
        statuses.append(exit_code(listing_failed))
    elif spike is not None:
        from .._apps.spike import spike_of

        today = exact_sum(key.usage_daily for key in listing) if isinstance(listing, list) else None
        figures, why = spike_of(balance, balance.at, today=today)
        minimum = getattr(args, "spike_min_dollars", None)
        if figures is None:
            unknown.append(
                f"{names['spike']} needs today's spend and what was expected of it by now, which are unknown: {why}."
            )
        elif figures.tripped(spike, DEFAULT_SPIKE_MIN_DOLLARS if minimum is None else minimum):
            print(f"spike: {figures.describe()}", file=stream)
            statuses.append(EXIT_BELOW)
    if args.days_below is not None:
        no_spend = balance.remaining is not None and balance.spend_per_day == 0
        left, which = days_left_compared(balance, conservative=bool(getattr(args, "conservative", None)))
        if left is None and not no_spend:
            unknown.append(
                f"{names['days_below']} needs the days left, which is unknown: {balance.unknown['days_left']}."
            )
        elif left is not None and left < args.days_below:
            print(f"days-below: {days(left)} days left{which} is under {days(args.days_below)}", file=stream)
            statuses.append(EXIT_BELOW)
    if unknown and not failed:
        for line in unknown:
            print(f"error: {line}", file=stream)
        statuses.append(EXIT_AUTH)
    return worst(statuses)
