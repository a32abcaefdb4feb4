"""What the command prints for a balance and which exit status follows: the view, its thresholds,
--watch, and several keys at once (--config). The options and the dispatch are in ``_cli``."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO, cast

from ._client import CreditsClient
from ._exceptions import (
    APIConnectionError,
    AuthenticationError,
    ConfigurationError,
    OpenRouterCreditsError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)

if TYPE_CHECKING:
    from ._balance import Balance
    from ._keys import KeySpec

EXIT_OK = 0
EXIT_BELOW = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NETWORK = 4
EXIT_INVALID = 5
EXIT_OUTPUT = 6
#: A closed pipe (``| head -1``) ends the command quietly with the status a Unix tool killed by
#: SIGPIPE has (128 + 13).
EXIT_PIPE = 141

#: The command line's names for the library's settings, used in error messages.
CLI_TERMS = {
    "api_key": "--api-key-file",
    "base_url": "--base-url",
    "timeout": "--timeout",
    "deadline": "--deadline",
    "max_retries": "--max-retries",
}


def exit_code(error: OpenRouterCreditsError) -> int:
    if isinstance(error, ConfigurationError):
        return EXIT_USAGE
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(error, APIConnectionError | ServerError | RateLimitError):
        return EXIT_NETWORK
    return EXIT_INVALID


def report(error: OpenRouterCreditsError, debug: bool, stream: TextIO) -> None:
    """One line, ``error: ...``, naming the command's options (a traceback first with --debug)."""
    if debug:
        traceback.print_exception(error, file=stream)
    print(f"error: {error.describe(CLI_TERMS)}", file=stream)


def _failures(balance: Balance) -> list[OpenRouterCreditsError]:
    """The calls that failed for another reason than this key's kind (a 403 is expected for it)."""
    return [error for error in balance.errors.values() if not isinstance(error, PermissionDeniedError)]


def check_thresholds(balance: Balance, args: argparse.Namespace, stream: TextIO) -> int:
    """The exit status --below and --days-below give, saying on ``stream`` why when not 0."""
    from ._render import days, money

    tripped = False
    unknown: list[str] = []
    if args.below is not None:
        if balance.spendable is None:
            unknown.append(f"--below needs what this key may spend, which is unknown: {balance.unknown['spendable']}")
        elif balance.spendable < args.below:
            print(f"below: spendable {money(balance.spendable)} is under {money(args.below)}", file=stream)
            tripped = True
    if args.days_below is not None:
        no_spend = balance.remaining is not None and balance.spend_per_day == 0
        if balance.days_left is None and not no_spend:
            unknown.append(f"--days-below needs the days left, which is unknown: {balance.unknown['days_left']}")
        elif balance.days_left is not None and balance.days_left < args.days_below:
            print(f"below: {days(balance.days_left)} days left is under {days(args.days_below)}", file=stream)
            tripped = True
    if tripped:
        return EXIT_BELOW
    failures = _failures(balance)
    if unknown and failures:
        return max(exit_code(error) for error in failures)
    for line in unknown:
        print(f"error: {line}.", file=stream)
    return EXIT_AUTH if unknown else EXIT_OK


def show_balance(balance: Balance, args: argparse.Namespace) -> int:
    """Print the view in the chosen format; the exit status (thresholds, then failed calls)."""
    from ._render import balance_json, balance_metrics, balance_table, exposition, statement

    if args.format == "json":
        print(json.dumps(balance_json(balance)))
    elif args.format == "prometheus":
        print(exposition(balance_metrics(balance, {}, up=True, last_success=round(time.time(), 3))), end="")
    else:
        print(balance_table(balance))
        line = statement(balance)
        if line:
            print(line)
    failures = _failures(balance)
    for error in failures:
        report(error, args.debug, sys.stderr)
    status = check_thresholds(balance, args, sys.stderr)
    if status == EXIT_OK and failures:
        return max(exit_code(error) for error in failures)
    return status


def watch(client: CreditsClient, args: argparse.Namespace) -> int:
    """One line (or JSON object) per poll, with the change of what may be spent, until Ctrl-C."""
    from ._models import exact_difference
    from ._render import balance_json, money

    previous: float | None = None
    while True:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            balance = client.get_balance()
        except OpenRouterCreditsError as error:
            print(f"{stamp} error: {error.describe(CLI_TERMS)}", file=sys.stderr, flush=True)
        else:
            for failure in _failures(balance):
                print(f"{stamp} error: {failure.describe(CLI_TERMS)}", file=sys.stderr, flush=True)
            now = balance.spendable
            delta = None if previous is None or now is None else exact_difference(now, previous)
            if args.format == "json":
                line = json.dumps(balance_json(balance, time=stamp, change=delta))
            else:
                credits = balance.credits

                def amount(value: float | None) -> str:
                    return "unknown" if value is None else money(value)

                line = f"{stamp}  remaining {amount(balance.remaining)}  spendable {amount(now)}"
                if credits is not None:
                    line += f"  credits {money(credits.total_credits)}  usage {money(credits.total_usage)}"
                if delta is not None:
                    line += f"  change {money(delta)}"
                if args.below is not None and now is not None and now < args.below:
                    line += f"  BELOW {money(args.below)}"
            print(line, flush=True)
            previous = now if now is not None else previous
        time.sleep(args.watch)


#: How bad an exit status is, to give the worst across keys.
SEVERITY = {EXIT_OK: 0, EXIT_BELOW: 1, EXIT_AUTH: 2, EXIT_NETWORK: 3, EXIT_INVALID: 4}


def run_many(args: argparse.Namespace, specs: list[KeySpec], options: dict[str, object]) -> int:
    """The view of every key of --config: a table row, a JSON list entry or labelled series each;
    the exit status the worst across keys. --below and --days-below override the file's thresholds."""
    from ._render import balance_json, balance_metrics, exposition, key_rows, merge_families

    results: list[tuple[KeySpec, Balance | None, int]] = []
    for spec in specs:
        with CreditsClient(spec.api_key, **options) as client:  # type: ignore[arg-type]
            try:
                balance: Balance | None = client.get_balance()
            except OpenRouterCreditsError as error:
                print(f"error: {spec.name}: {error.describe(CLI_TERMS)}", file=sys.stderr)
                results.append((spec, None, exit_code(error)))
                continue
        assert balance is not None
        thresholds = argparse.Namespace(
            below=args.below if args.below is not None else spec.below,
            days_below=args.days_below if args.days_below is not None else spec.days_below,
        )
        status = check_thresholds(balance, thresholds, cast(TextIO, _Prefixed(sys.stderr, spec.name)))
        for failure in _failures(balance):
            print(f"error: {spec.name}: {failure.describe(CLI_TERMS)}", file=sys.stderr)
            status = status if status != EXIT_OK else exit_code(failure)
        results.append((spec, balance, status))
    if args.format == "json":
        print(json.dumps([
            {"name": spec.name, **(balance_json(balance) if balance is not None else {"error": True})}
            for spec, balance, _ in results
        ]))  # fmt: skip
    elif args.format == "prometheus":
        now = round(time.time(), 3)
        print(exposition(merge_families(
            balance_metrics(balance, {"key": spec.name}, up=balance is not None, last_success=now if balance else None)
            for spec, balance, _ in results
        )), end="")  # fmt: skip
    else:
        print(key_rows([(spec.name, balance) for spec, balance, _ in results]))
    return max((status for _, _, status in results), key=lambda status: SEVERITY.get(status, 5))


class _Prefixed:
    """A stream that puts ``name: `` after the ``below:`` / ``error:`` word of each line."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name

    def write(self, text: str) -> int:
        word, sep, rest = text.partition(": ")
        return self.stream.write(f"{word}: {self.name}: {rest}" if sep and word in ("below", "error") else text)

    def flush(self) -> None:
        self.stream.flush()
