"""The balance view (the command without a subcommand): the calls, the table, --json, --format
prometheus, --watch, and several keys at once (--config); the thresholds are judged in _thresholds."""

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
from .._exceptions import ConfigurationError, OpenRouterCreditsError
from ._common import (
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
from ._thresholds import (
    THRESHOLD_NAMES,
    call_failures,
    check_thresholds,
    is_management,
    worst_error,
)

if TYPE_CHECKING:
    from .._apps.config_file import KeySpec
    from .._balance import Balance
    from .._listing import KeyListing

    #: A management key's listing: its keys, the error that left them unknown, or None (not read).
    Listing = KeyListing | OpenRouterCreditsError | None

#: The options of the view alone: given with a subcommand, they are refused, naming it.
VIEW_OPTIONS = {
    "format": "--json/--format",
    "below": "--below",
    "days_below": "--days-below",
    "conservative": "--conservative",
    "spike": "--spike",
    "spike_min_dollars": "--spike-min-dollars",
    "watch": "--watch",
    "view_ledger": "--ledger",
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
        "--conservative",
        action="store_const",
        const=True,
        help="with --days-below: compare the low end of days left's 80 %% range (the credits spent at the high "
        "end of the forecast) instead of its central value",
    )
    p.add_argument(
        "--spike",
        type=multiple,
        metavar="N",
        help="exit 1 when today's spend so far is above N times what the forecast expects by now (UTC day)",
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
    p.add_argument(
        "--ledger",
        dest="view_ledger",
        metavar="FILE|URL",
        help='the ledger whose longer history the forecast rests on (default: ledger = "..." of --config, else '
        "$OPENROUTER_CREDITS_LEDGER, else the default ledger when it exists)",
    )


def run(args: argparse.Namespace) -> int:
    """The view of the key (or of every key of --config); the exit status."""
    args.format = args.format or "table"
    if args.watch is not None and args.format == "prometheus":
        raise ConfigurationError("--watch prints lines or JSON; for Prometheus run it once per scrape or cron tick.")
    options = client_options(args)
    if args.conservative and args.days_below is None and not args.config:
        raise ConfigurationError("--conservative changes what --days-below compares: give --days-below DAYS too.")
    from .ledger import view_location

    args.ledger_location = view_location(args)  # a ledger named wrongly is a usage error, before any call
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
            wanted = args.format == "table" or args.spike is not None
            lister = _lister(key, options) if wanted else None
            balance, listing = fetch(client, lister=lister)
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


def fetch(client: CreditsClient, *, lister: Callable[[], CreditsClient] | None) -> tuple[Balance, Listing]:
    """``get_balance()`` and, with a ``lister``, a management key's ``list_keys()`` (the view's Keys
    line, a spike): every call started at once, so that the view takes about as long as one call.
    Whether the key is a management key is known only from ``/key``'s answer, so the listing starts
    with the others and is not waited for when the key is not one (or ``/key`` failed: not known).
    The listing runs on a client of its own (``lister()``: the same key and options), which it closes
    when it ends: a listing not waited for may still be under way when ``client`` is closed."""
    if lister is None:
        return client.get_balance(), None
    from .._plan import worker_pool

    pool = worker_pool(1)
    try:
        listed = pool.submit(_listed_keys, lister)
        balance = client.get_balance()
        return balance, listed.result() if is_management(balance) else None
    finally:
        # Ctrl-C while waiting, or a listing not needed: return at once, not when the call ends.
        pool.shutdown(wait=False, cancel_futures=True)


def _lister(api_key: str | None, options: dict[str, object]) -> Callable[[], CreditsClient]:
    """What makes the listing's own client: a function, not a partial, whose repr would show the key."""

    def client() -> CreditsClient:
        return CreditsClient(api_key, **options)  # type: ignore[arg-type]

    return client


def _listed_keys(lister: Callable[[], CreditsClient]) -> KeyListing | OpenRouterCreditsError:
    """A management key's ``list_keys()``, or the error that left it unknown (never the view's)."""
    try:
        with lister() as client:
            return client.list_keys()
    except OpenRouterCreditsError as error:
        return error


def error_json(error: OpenRouterCreditsError, named: dict[str, str]) -> dict[str, str]:
    """An error as the JSON view carries it: its kind and its message, settings named as ``named``."""
    return {"kind": error.kind, "message": error.describe(named)}


def account_lines(balance: Balance, listing: Listing, named: dict[str, str]) -> list[str]:
    """For a management key, two lines under the table: how many keys the account has and how many are
    near or past their limit (its ``listing``), and the top model of the last 7 days (from the
    activity already read). A failure here is ``unknown`` with the reason, never the view's."""
    from .._format import money
    from .._text import shown
    from ._output import UNKNOWN

    if listing is None:
        return []
    if isinstance(listing, OpenRouterCreditsError):
        listed = f"Keys: {UNKNOWN}, since listing them failed: {listing.describe(named)}"
    else:
        keys = listing
        near = sum(k.status(balance.at) in ("exhausted", "will_exhaust", "near_limit") for k in keys)
        count = f"{len(keys)}"
        workspaces = listing.workspaces
        if workspaces is not None and len(workspaces) > 1:
            count += f" in {len(workspaces)} workspaces"
        listed = f"Keys: {count} ({near} near or past their limit; openrouter-credits keys lists them)"
        if not listing.complete:  # never a partial count passed off as the account's
            listed += f"; only the default workspace's: {listing.workspaces_note}"
    activity = balance.activity
    if activity is None:
        top = f"Top model of the last 7 days: {UNKNOWN} (the activity could not be read)"
    else:
        week = sorted((s for s in activity.by_model() if s.usage_7d > 0), key=lambda s: (-s.usage_7d, s.name))
        top = "Top model of the last 7 days: " + (
            f"{shown(week[0].name)} ({money(week[0].usage_7d)})" if week else "none"
        )
    return [listed, top]


def show_balance(balance: Balance, args: argparse.Namespace, listing: Listing = None) -> int:
    """Print the view in the chosen format (for a management key's table, the account's lines under
    it, from ``listing``); the exit status: the highest of the thresholds' and the failed calls'."""
    from .._apps.metrics import balance_metrics, exposition
    from ._output import balance_json, balance_table, forecast_note, statement

    named = terms(args)
    failures = call_failures(balance)
    from .ledger import with_ledger

    balance, ledger_note = with_ledger(balance, getattr(args, "ledger_location", None))
    if args.format == "json":
        failed = worst_error(balance, listing, args)
        print(json.dumps(balance_json(balance, named, error=None if failed is None else error_json(failed, named))))
    elif args.format == "prometheus":
        print(exposition(balance_metrics(balance, {}, up=True, last_success=_fetched(balance))), end="")
    else:
        print(balance_table(balance))
        for extra in account_lines(balance, listing, named) if is_management(balance) else ():
            print(extra)
        for line in (forecast_note(balance), ledger_note, statement(balance)):
            if line:
                print(line)
    for error in failures:
        report(error, args, sys.stderr)
    status = check_thresholds(balance, args, sys.stderr, listing=listing, named=named, failed=bool(failures))
    return worst([status, *(exit_code(error) for error in failures)])


def _fetched(balance: Balance) -> float:
    """When the answers of a successful fetch came (the client's clock), as a Unix time."""
    return round(balance.at.timestamp(), 3)


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

                    failed = error_json(error, terms(args))
                    print(json.dumps(balance_json(None, time=stamp, change=None, error=failed)), flush=True)
            else:
                from .ledger import with_ledger

                balance, ledger_note = with_ledger(balance, getattr(args, "ledger_location", None))
                for failure in call_failures(balance):
                    print(f"{stamp} error: {failure.describe(terms(args))}", file=sys.stderr, flush=True)
                if not noted:
                    from ._output import statement

                    for note in (ledger_note, statement(balance)):
                        if note:
                            print(note, file=sys.stderr, flush=True)
                    noted = True
                print(_watch_line(balance, args, stamp, previous), flush=True)
                previous = balance.spendable_at_most if balance.spendable_at_most is not None else previous
            sleep(args.watch)
    except KeyboardInterrupt:
        return EXIT_OK  # the way --watch ends


def _watch_line(balance: Balance, args: argparse.Namespace, stamp: str, previous: float | None) -> str:
    from .._format import money
    from .._money import exact_difference
    from ._output import balance_json

    now = balance.spendable_at_most  # spendable when known, else its bound (an ordinary key's limit, ...)
    delta = None if previous is None or now is None else exact_difference(now, previous)
    if args.format == "json":
        failed = worst_error(balance, None, args)
        named = terms(args)
        error = None if failed is None else error_json(failed, named)
        return json.dumps(balance_json(balance, named, time=stamp, change=delta, error=error))

    def amount(value: float | None) -> str:
        return "unknown" if value is None else money(value)

    bound = "at most " if balance.spendable is None and now is not None else ""
    line = f"{stamp}  remaining {amount(balance.remaining)}  spendable {bound}{amount(now)}"
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
    from .ledger import with_ledger

    results: list[tuple[KeySpec, Balance | None, int, OpenRouterCreditsError | None]] = []
    noted: set[str] = set()
    for spec in specs:
        named = spec.terms(terms(args))
        stream = cast(TextIO, _Prefixed(sys.stderr, spec.name))
        thresholds = argparse.Namespace(
            below=args.below if args.below is not None else spec.below,
            days_below=args.days_below if args.days_below is not None else spec.days_below,
            conservative=args.conservative,
            spike=args.spike if args.spike is not None else spec.spike,
            spike_min_dollars=args.spike_min_dollars if args.spike_min_dollars is not None else spec.spike_min_dollars,
        )
        with CreditsClient(spec.api_key, **options) as client:  # type: ignore[arg-type]
            try:
                lister = _lister(spec.api_key, options) if thresholds.spike is not None else None
                balance, listing = fetch(client, lister=lister)
            except OpenRouterCreditsError as error:
                print(f"error: {spec.name}: {error.describe(named)}", file=sys.stderr)
                results.append((spec, None, exit_code(error), error))
                continue
        balance, ledger_note = with_ledger(balance, args.ledger_location)
        if ledger_note is not None and ledger_note not in noted:
            print(ledger_note, file=sys.stderr)  # once: the ledger is the same for every key
            noted.add(ledger_note)
        names = {
            setting: option if getattr(args, setting) is not None else f"{setting} of [keys.{spec.name}]"
            for setting, option in THRESHOLD_NAMES.items()
        }
        failures = call_failures(balance)
        for failure in failures:
            print(f"error: {spec.name}: {failure.describe(named)}", file=sys.stderr)
        status = check_thresholds(
            balance, thresholds, stream, names, listing=listing, named=named, failed=bool(failures)
        )
        failed = worst_error(balance, listing, thresholds)
        results.append((spec, balance, worst([status, *(exit_code(f) for f in failures)]), failed))
    if args.format == "json":
        print(json.dumps([
            {
                "name": spec.name,
                **balance_json(balance, spec.terms(terms(args))),
                "error": None if error is None else error_json(error, spec.terms(terms(args))),
            }
            for spec, balance, _, error in results
        ]))  # fmt: skip
    elif args.format == "prometheus":
        print(exposition(merge_families(
            balance_metrics(
                balance, {"key": spec.name}, up=balance is not None, last_success=_fetched(balance) if balance else None
            )
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
