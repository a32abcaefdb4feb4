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

from .._client import CreditsClient
from .._defaults import DEFAULT_SPIKE_MIN_DOLLARS
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
    with CreditsClient(key, **options) as client:  # type: ignore[arg-type]
        if args.watch is not None:
            return watch(client, args)
        try:
            balance = client.get_balance()
        except OpenRouterCreditsError as error:
            if args.format == "prometheus":
                from .._apps.metrics import balance_metrics, exposition

                print(exposition(balance_metrics(None, {}, up=False, last_success=None)), end="", flush=True)
            report(error, args, sys.stderr)
            return exit_code(error)
        management = balance.key is not None and balance.key.is_management_key
        listing = listed_keys(client) if management and (args.format == "table" or args.spike is not None) else None
    more = account_lines(balance, listing, terms(args)) if args.format == "table" and management else []
    if args.format == "table" and management:
        from .ledger import this_month_line

        month = this_month_line(balance.at)
        if month is not None:
            more.append(month)
    today = None if not isinstance(listing, list) else exact_sum(key.usage_daily for key in listing)
    return show_balance(balance, args, more, today=today)


def listed_keys(client: CreditsClient) -> list[ApiKey] | OpenRouterCreditsError:
    """A management key's ``list_keys()``, or the error that left it unknown (never the view's)."""
    try:
        return client.list_keys()
    except OpenRouterCreditsError as error:
        return error


def account_lines(
    balance: Balance, listing: list[ApiKey] | OpenRouterCreditsError | None, named: dict[str, str]
) -> list[str]:
    """For a management key, two lines under the table: how many keys the account has and how many are
    near or past their limit (its ``listing``), and the top model of the last 7 days (from the
    activity already read). A failure here is ``unknown`` with a note, never the view's."""
    from .._format import money
    from ._output import UNKNOWN

    if listing is None:
        return []
    if isinstance(listing, OpenRouterCreditsError):
        listed = f"Keys: {UNKNOWN} (listing them failed: {listing.describe(named)})"
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


#: How the thresholds are named in messages: the options, or a key's settings in --config.
THRESHOLD_NAMES = {"below": "--below", "days_below": "--days-below"}


def check_thresholds(
    balance: Balance,
    args: argparse.Namespace,
    stream: TextIO,
    names: dict[str, str] = THRESHOLD_NAMES,
    *,
    today: float | None = None,
) -> int:
    """The exit status --below, --days-below and --spike give, saying on ``stream`` why when not 0.
    The spike is judged at the balance's time (``balance.at``: the client's clock)."""
    from .._format import days, money

    tripped = False
    unknown: list[str] = []
    if args.below is not None:
        at_most = balance.spendable_at_most
        if balance.spendable is None and at_most is not None and at_most < args.below:
            # Unknown, but whatever it is, it is under the threshold.
            print(f"below: spendable is at most {money(at_most)}, under {money(args.below)}", file=stream)
            tripped = True
        elif balance.spendable is None:
            unknown.append(
                f"{names['below']} needs what this key may spend, which is unknown: {balance.unknown['spendable']}"
            )
        elif balance.spendable < args.below:
            print(f"below: spendable {money(balance.spendable)} is under {money(args.below)}", file=stream)
            tripped = True
    spike = getattr(args, "spike", None)
    if spike is not None:
        from .._apps.spike import spike_of

        figures, why = spike_of(balance, balance.at, today=today)
        minimum = getattr(args, "spike_min_dollars", None)
        if figures is None:
            unknown.append(f"--spike needs today's spend and the 7-day average, which are unknown: {why}")
        elif figures.tripped(spike, DEFAULT_SPIKE_MIN_DOLLARS if minimum is None else minimum):
            print(f"spike: {figures.describe()}", file=stream)
            tripped = True
    if args.days_below is not None:
        no_spend = balance.remaining is not None and balance.spend_per_day == 0
        if balance.days_left is None and not no_spend:
            unknown.append(
                f"{names['days_below']} needs the days left, which is unknown: {balance.unknown['days_left']}"
            )
        elif balance.days_left is not None and balance.days_left < args.days_below:
            print(f"below: {days(balance.days_left)} days left is under {days(args.days_below)}", file=stream)
            tripped = True
    if tripped:
        return EXIT_BELOW
    failures = _failures(balance)
    if unknown and failures:
        return worst(exit_code(error) for error in failures)
    for line in unknown:
        print(f"error: {line}.", file=stream)
    return EXIT_AUTH if unknown else EXIT_OK


def show_balance(
    balance: Balance, args: argparse.Namespace, more: list[str] | None = None, *, today: float | None = None
) -> int:
    """Print the view in the chosen format (``more`` lines under the table); the exit status
    (thresholds, then failed calls). ``today``: a management key's spend today, from its listing."""
    from .._apps.metrics import balance_metrics, exposition
    from ._output import balance_json, balance_table, statement

    if args.format == "json":
        print(json.dumps(balance_json(balance)))
    elif args.format == "prometheus":
        print(exposition(balance_metrics(balance, {}, up=True, last_success=round(time.time(), 3))), end="")
    else:
        print(balance_table(balance))
        for extra in more or ():
            print(extra)
        line = statement(balance)
        if line:
            print(line)
    failures = _failures(balance)
    for error in failures:
        report(error, args, sys.stderr)
    status = check_thresholds(balance, args, sys.stderr, today=today)
    if status == EXIT_OK and failures:
        return worst(exit_code(error) for error in failures)
    return status


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
        return json.dumps(balance_json(balance, time=stamp, change=delta))

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
    the exit status the worst across keys. --below and --days-below override the file's thresholds.
    Messages about a key name its table and setting in the file."""
    from .._apps.metrics import balance_metrics, exposition, merge_families
    from ._output import balance_json, key_rows

    results: list[tuple[KeySpec, Balance | None, int, OpenRouterCreditsError | None]] = []
    for spec in specs:
        named = spec.terms(terms(args))
        with CreditsClient(spec.api_key, **options) as client:  # type: ignore[arg-type]
            try:
                balance: Balance | None = client.get_balance()
            except OpenRouterCreditsError as error:
                print(f"error: {spec.name}: {error.describe(named)}", file=sys.stderr)
                results.append((spec, None, exit_code(error), error))
                continue
        assert balance is not None
        thresholds = argparse.Namespace(
            below=args.below if args.below is not None else spec.below,
            days_below=args.days_below if args.days_below is not None else spec.days_below,
            spike=args.spike if args.spike is not None else spec.spike,
            spike_min_dollars=args.spike_min_dollars if args.spike_min_dollars is not None else spec.spike_min_dollars,
        )
        names = {
            setting: option if getattr(args, setting) is not None else f"{setting} of [keys.{spec.name}]"
            for setting, option in THRESHOLD_NAMES.items()
        }
        status = check_thresholds(balance, thresholds, cast(TextIO, _Prefixed(sys.stderr, spec.name)), names)
        for failure in _failures(balance):
            print(f"error: {spec.name}: {failure.describe(named)}", file=sys.stderr)
            status = status if status != EXIT_OK else exit_code(failure)
        results.append((spec, balance, status, None))
    if args.format == "json":
        print(json.dumps([
            {
                "name": spec.name,
                **balance_json(balance),
                "error": None if error is None else {"kind": error.kind, "message": error.describe(terms(args))},
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
    """A stream that puts ``name: `` after the ``below:`` / ``error:`` word of each line."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name

    def write(self, text: str) -> int:
        word, sep, rest = text.partition(": ")
        prefixed = sep and word in ("below", "spike", "error")
        return self.stream.write(f"{word}: {self.name}: {rest}" if prefixed else text)

    def flush(self) -> None:
        self.stream.flush()
