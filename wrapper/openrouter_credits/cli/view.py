"""The balance view (the command without a subcommand): the table, --json, --format prometheus, the
thresholds, --watch, and several keys at once (--config)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO, cast

from .._apps.spike import DEFAULT_SPIKE_MIN_DOLLARS
from .._client import CreditsClient
from .._exceptions import ConfigurationError, OpenRouterCreditsError, OperationUnavailable, PermissionDeniedError
from .._money import exact_sum
from ._common import (
    EXIT_AUTH,
    EXIT_BELOW,
    EXIT_OK,
    client_options,
    day_count,
    dollars,
    exit_code,
    interval_seconds,
    multiple,
    report,
    terms,
    the_key,
    worst,
)

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._apps.config_file import KeySpec
    from .._balance import Balance

    #: A management key's listing: its keys, the error that left them unknown, or None (not read).
    Listing = list[ApiKey] | OpenRouterCreditsError | None

#: The options of the view alone: given with a subcommand, they are refused, naming it.
VIEW_OPTIONS = {
    "format": "--json/--format",
    "below": "--below",
    "days_below": "--days-below",
    "spike": "--spike",
    "spike_min_dollars": "--spike-min-dollars",
    "watch": "--watch",
}


def add_view_options(p: argparse.ArgumentParser) -> None:
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_const", const="json", dest="format", help="print JSON")
    output.add_argument("--format", choices=("table", "json", "prometheus"), help="output format (default: table)")
    p.add_argument(
        "--below",
        type=dollars,
        metavar="DOLLARS",
        help="exit 1 when spendable is below DOLLARS (with --config: instead of each key's below)",
    )
    p.add_argument(
        "--days-below",
        type=day_count,
        metavar="DAYS",
        help="exit 1 when days left is below DAYS (with --config: instead of each key's days_below)",
    )
    p.add_argument(
        "--spike",
        type=multiple,
        metavar="N",
        help="exit 1 when today's spend so far is above N times the 7-day average, prorated by the hour (UTC)",
    )
    p.add_argument(
        "--spike-min-dollars",
        type=dollars,
        metavar="DOLLARS",
        help=f"... and at least DOLLARS (default: {DEFAULT_SPIKE_MIN_DOLLARS:g})",
    )
    p.add_argument(
        "--watch", type=interval_seconds, metavar="SECONDS", help="poll every SECONDS (1 or more) until Ctrl-C"
    )


def run(args: argparse.Namespace) -> int:
    """The view of the key (or of every key of --config); the exit status."""
    args.format = args.format or "table"
    if args.watch is not None and args.format == "prometheus":
        raise ConfigurationError("--watch prints lines or JSON; for Prometheus run it once per scrape or cron tick.")
    options = client_options(args)
    if args.config:
        if args.api_key_file:
            raise ConfigurationError("--config names the keys: leave out --api-key-file.")
        if args.watch is not None:
            raise ConfigurationError("--watch follows one key: leave out --config, or use serve for several.")
        from .._apps.config_file import load_keys

        return run_many(args, load_keys(args.config), options)
    key = the_key(args)
    named = terms(args)
    with CreditsClient(key, **options) as client:  # type: ignore[arg-type]
        if args.watch is not None:
            return watch(client, args)
        try:
            balance, listing = fetch(client, listing=args.format == "table" or args.spike is not None)
        except OpenRouterCreditsError as error:
            if args.format == "json":
                from ._output import balance_json

                print(json.dumps(balance_json(None, error=error_json(error, named))), flush=True)
            elif args.format == "prometheus":
                from .._apps.metrics import balance_metrics, exposition

                print(exposition(balance_metrics(None, {}, up=False, last_success=None)), end="", flush=True)
            report(error, args, sys.stderr)
            return exit_code(error)
    return show_balance(balance, args, listing)


def fetch(client: CreditsClient, *, listing: bool) -> tuple[Balance, Listing]:
    """``get_balance()`` and, with ``listing``, a management key's ``list_keys()`` (the view's Keys
    line, a spike): every call started at once, so that the view takes about as long as one call.
    Whether the key is a management key is known only from ``/key``'s answer, so the listing starts
    with the others and is not waited for when the key is not one (or ``/key`` failed: not known)."""
    if not listing:
        return client.get_balance(), None
    from concurrent.futures import ThreadPoolExecutor

    from .._client import WORKER_THREAD_PREFIX

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WORKER_THREAD_PREFIX)
    try:
        listed = pool.submit(_listed_keys, client)
        balance = client.get_balance()
        return balance, listed.result() if _is_management(balance) else None
    finally:
        # Ctrl-C while waiting, or a listing not needed: return at once, not when the call ends.
        pool.shutdown(wait=False, cancel_futures=True)


def _listed_keys(client: CreditsClient) -> list[ApiKey] | OpenRouterCreditsError:
    """A management key's ``list_keys()``, or the error that left it unknown (never the view's)."""
    try:
        return client.list_keys()
    except OpenRouterCreditsError as error:
        return error


def _is_management(balance: Balance) -> bool:
    return balance.key is not None and balance.key.is_management_key


def error_json(error: OpenRouterCreditsError, named: dict[str, str]) -> dict[str, str]:
    """An error as the JSON view carries it: its kind and its message, settings named as ``named``."""
    return {"kind": error.kind, "message": error.describe(named)}


def account_lines(balance: Balance, listing: Listing, named: dict[str, str]) -> list[str]:
    """For a management key, two lines under the table: how many keys the account has and how many are
    near or past their limit (its ``listing``), and the top model of the last 7 days (from the
    activity already read). A failure here is ``unknown`` with the reason, never the view's."""
    from .._format import money
    from ._output import UNKNOWN

    if listing is None:
        return []
    if isinstance(listing, OpenRouterCreditsError):
        listed = f"Keys: {UNKNOWN}, since listing them failed: {listing.describe(named)}"
    else:
        keys = listing
        near = sum(k.status(balance.at) in ("exhausted", "will_exhaust", "near_limit") for k in keys)
        listed = f"Keys: {len(keys)} ({near} near or past their limit; openrouter-credits keys lists them)"
    activity = balance.activity
    if activity is None:
        top = f"Top model of the last 7 days: {UNKNOWN} (the activity could not be read)"
    else:
        week = sorted((s for s in activity.by_model() if s.usage_7d > 0), key=lambda s: (-s.usage_7d, s.name))
        top = "Top model of the last 7 days: " + (f"{week[0].name} ({money(week[0].usage_7d)})" if week else "none")
    return [listed, top]


def _failures(balance: Balance) -> list[OpenRouterCreditsError]:
    """The calls that failed for another reason than this key's kind (a 403 is expected for it) or
    the API document in use (an operation it lacks: its part is unknown, with that reason)."""
    expected = (PermissionDeniedError, OperationUnavailable)
    return [error for error in balance.errors.values() if not isinstance(error, expected)]


def _listing_failure(
    balance: Balance, listing: Listing, thresholds: argparse.Namespace
) -> OpenRouterCreditsError | None:
    """The listing's error when a spike needed it (a management key's today is the listed keys' sum)."""
    needed = getattr(thresholds, "spike", None) is not None and _is_management(balance)
    return listing if needed and isinstance(listing, OpenRouterCreditsError) else None


def _worst_error(errors: list[OpenRouterCreditsError]) -> OpenRouterCreditsError | None:
    """The error that sets the exit status (the first of the highest), which the JSON view carries."""
    return max(errors, key=exit_code, default=None)


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
    listing_failed = _listing_failure(balance, listing, args)
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
            unknown.append(f"{names['spike']} needs today's spend and the 7-day average, which are unknown: {why}.")
        elif figures.tripped(spike, DEFAULT_SPIKE_MIN_DOLLARS if minimum is None else minimum):
            print(f"spike: {figures.describe()}", file=stream)
            statuses.append(EXIT_BELOW)
    if args.days_below is not None:
        no_spend = balance.remaining is not None and balance.spend_per_day == 0
        if balance.days_left is None and not no_spend:
            unknown.append(
                f"{names['days_below']} needs the days left, which is unknown: {balance.unknown['days_left']}."
            )
        elif balance.days_left is not None and balance.days_left < args.days_below:
            print(f"days-below: {days(balance.days_left)} days left is under {days(args.days_below)}", file=stream)
            statuses.append(EXIT_BELOW)
    if unknown and not failed:
        for line in unknown:
            print(f"error: {line}", file=stream)
        statuses.append(EXIT_AUTH)
    return worst(statuses)


def show_balance(balance: Balance, args: argparse.Namespace, listing: Listing = None) -> int:
    """Print the view in the chosen format (for a management key's table, the account's lines under
    it, from ``listing``); the exit status: the highest of the thresholds' and the failed calls'."""
    from .._apps.metrics import balance_metrics, exposition
    from ._output import balance_json, balance_table, statement

    named = terms(args)
    failures = _failures(balance)
    listing_failed = _listing_failure(balance, listing, args)
    if args.format == "json":
        worst_error = _worst_error([*failures, *([listing_failed] if listing_failed else [])])
        print(json.dumps(balance_json(balance, error=None if worst_error is None else error_json(worst_error, named))))
    elif args.format == "prometheus":
        print(exposition(balance_metrics(balance, {}, up=True, last_success=round(time.time(), 3))), end="")
    else:
        print(balance_table(balance))
        for extra in account_lines(balance, listing, named) if _is_management(balance) else ():
            print(extra)
        line = statement(balance)
        if line:
            print(line)
    for error in failures:
        report(error, args, sys.stderr)
    status = check_thresholds(balance, args, sys.stderr, listing=listing, named=named, failed=bool(failures))
    return worst([status, *(exit_code(error) for error in failures)])


def watch(client: CreditsClient, args: argparse.Namespace, sleep: Callable[[float], None] = time.sleep) -> int:
    """One line (or JSON object) per poll, with the change of what may be spent, until Ctrl-C (exit 0)."""
    previous: float | None = None
    noted = False
    try:
        while True:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            try:
                balance = client.get_balance()
            except OpenRouterCreditsError as error:
                print(f"{stamp} error: {error.describe(terms(args))}", file=sys.stderr, flush=True)
                if args.format == "json":  # the poll's line all the same, in the one shape of the JSON view
                    from ._output import balance_json

                    fields = {"time": stamp, "change": None, "error": error_json(error, terms(args))}
                    print(json.dumps(balance_json(None, **fields)), flush=True)
            else:
                for failure in _failures(balance):
                    print(f"{stamp} error: {failure.describe(terms(args))}", file=sys.stderr, flush=True)
                if not noted:
                    from ._output import statement

                    note = statement(balance)
                    if note:
                        print(note, file=sys.stderr, flush=True)
                    noted = True
                print(_watch_line(balance, args, stamp, previous), flush=True)
                previous = balance.spendable if balance.spendable is not None else previous
            sleep(args.watch)
    except KeyboardInterrupt:
        return EXIT_OK  # the way --watch ends


def _watch_line(balance: Balance, args: argparse.Namespace, stamp: str, previous: float | None) -> str:
    from .._format import money
    from .._money import exact_difference
    from ._output import balance_json

    now = balance.spendable
    delta = None if previous is None or now is None else exact_difference(now, previous)
    if args.format == "json":
        failed = _worst_error(_failures(balance))
        error = None if failed is None else error_json(failed, terms(args))
        return json.dumps(balance_json(balance, time=stamp, change=delta, error=error))

    def amount(value: float | None) -> str:
        return "unknown" if value is None else money(value)

    line = f"{stamp}  remaining {amount(balance.remaining)}  spendable {amount(now)}"
    credits, key = balance.credits, balance.key
    if credits is not None:
        line += f"  credits {money(credits.total_credits)}  usage {money(credits.total_usage)}"
    if key is not None and not key.is_management_key:
        limit = "none" if key.limit is None else f"{money(key.limit)} ({amount(key.limit_left)} left)"
        line += f"  key limit {limit}  key usage {money(key.usage)}"
    if delta is not None:
        line += f"  change {money(delta)}"
    if args.below is not None and now is not None and now < args.below:
        line += f"  BELOW {money(args.below)}"
    return line


def run_many(args: argparse.Namespace, specs: list[KeySpec], options: dict[str, object]) -> int:
    """The view of every key of --config: a table row, a JSON list entry or labelled series each;
    the exit status the highest across keys. --below, --days-below and --spike override the file's
    thresholds. Messages about a key name its table and setting in the file."""
    from .._apps.metrics import balance_metrics, exposition, merge_families
    from ._output import balance_json, key_rows

    results: list[tuple[KeySpec, Balance | None, int, OpenRouterCreditsError | None]] = []
    for spec in specs:
        named = spec.terms(terms(args))
        stream = cast(TextIO, _Prefixed(sys.stderr, spec.name))
        thresholds = argparse.Namespace(
            below=args.below if args.below is not None else spec.below,
            days_below=args.days_below if args.days_below is not None else spec.days_below,
            spike=args.spike if args.spike is not None else spec.spike,
            spike_min_dollars=args.spike_min_dollars if args.spike_min_dollars is not None else spec.spike_min_dollars,
        )
        with CreditsClient(spec.api_key, **options) as client:  # type: ignore[arg-type]
            try:
                balance, listing = fetch(client, listing=thresholds.spike is not None)
            except OpenRouterCreditsError as error:
                print(f"error: {spec.name}: {error.describe(named)}", file=sys.stderr)
                results.append((spec, None, exit_code(error), error))
                continue
        names = {
            setting: option if getattr(args, setting) is not None else f"{setting} of [keys.{spec.name}]"
            for setting, option in THRESHOLD_NAMES.items()
        }
        failures = _failures(balance)
        for failure in failures:
            print(f"error: {spec.name}: {failure.describe(named)}", file=sys.stderr)
        status = check_thresholds(
            balance, thresholds, stream, names, listing=listing, named=named, failed=bool(failures)
        )
        listing_failed = _listing_failure(balance, listing, thresholds)
        worst_error = _worst_error([*failures, *([listing_failed] if listing_failed else [])])
        results.append((spec, balance, worst([status, *(exit_code(f) for f in failures)]), worst_error))
    if args.format == "json":
        print(json.dumps([
            {
                "name": spec.name,
                **balance_json(balance),
                "error": None if error is None else error_json(error, spec.terms(terms(args))),
            }
            for spec, balance, _, error in results
        ]))  # fmt: skip
    elif args.format == "prometheus":
        now = round(time.time(), 3)
        print(exposition(merge_families(
            balance_metrics(balance, {"key": spec.name}, up=balance is not None, last_success=now if balance else None)
            for spec, balance, _, _ in results
        )), end="")  # fmt: skip
    else:
        print(key_rows([(spec.name, balance) for spec, balance, _, _ in results]))
    return worst(status for _, _, status, _ in results)


class _Prefixed:
    """A stream that puts ``name: `` after the first word of each line (``below:``, ``error:``...)."""

    #: The words a line of the thresholds starts with.
    WORDS = ("below", "days-below", "spike", "error")

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name

    def write(self, text: str) -> int:
        word, sep, rest = text.partition(": ")
        prefixed = sep and word in self.WORDS
        return self.stream.write(f"{word}: {self.name}: {rest}" if prefixed else text)

    def flush(self) -> None:
        self.stream.flush()
