"""openrouter-credits: the balance on the command line, for people, cron jobs and Prometheus."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TextIO, TypeVar

from . import _config
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
from ._models import Credits, exact_difference

T = TypeVar("T")

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

EPILOG = f"""\
examples:
  openrouter-credits                       table: total credits, total usage, remaining
  openrouter-credits --json                {{"total_credits": ..., "total_usage": ..., "remaining": ...}}
  openrouter-credits --format prometheus   for node_exporter's textfile collector
  openrouter-credits --below 5             exit 1 when less than $5 remains (cron, CI, alerting)
  openrouter-credits --watch 60            poll every 60 s, one line per poll, until Ctrl-C
  openrouter-credits --api-key-file key.txt

The key comes from ${_config.API_KEY_ENV} or --api-key-file (- reads standard input, or asks on a
terminal without echoing); no option takes the key itself, which would show in the process list and
shell history. It must be a provisioning (management) key: {_config.MANAGEMENT_KEYS_URL}.
The base URL comes from --base-url, else ${_config.BASE_URL_ENV}, else {_config.DEFAULT_BASE_URL}.
Amounts are US dollars.

exit codes:
  0  ok
  1  remaining is below the --below threshold
  2  usage or configuration error (no key, bad option, bad base URL)
  3  authentication or permission error (401, 403)
  4  network, timeout or server error (5xx, 429), after retries
  5  invalid or unexpected response from the server
  6  the output could not be written (a full disk, a closed file)
  141  the reader of the output went away (| head): nothing is printed, as for other Unix tools
"""

ZERO_HINT = (
    "hint: both totals are 0. Some keys that are not provisioning keys get 0/0 instead of a 403; "
    f"check that this is a provisioning (management) key ({_config.MANAGEMENT_KEYS_URL})."
)

METRICS = (
    ("openrouter_credits_total", "Total credits bought, in US dollars."),
    ("openrouter_usage_total", "Total credits used, in US dollars."),
    ("openrouter_credits_remaining", "Credits remaining (bought minus used), in US dollars."),
)
UP = ("openrouter_credits_up", "1 when the last fetch of the balance succeeded, 0 when it failed.")
LAST_SUCCESS = (
    "openrouter_credits_last_success_timestamp_seconds",
    "Unix time of the last successful fetch of the balance.",
)


def exit_code(error: OpenRouterCreditsError) -> int:
    if isinstance(error, ConfigurationError):
        return EXIT_USAGE
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(error, APIConnectionError | ServerError | RateLimitError):
        return EXIT_NETWORK
    return EXIT_INVALID


def money(amount: float) -> str:
    """US dollars with two decimals, more when two would show a non-zero amount as 0.00."""
    decimals = 2
    if amount != 0 and abs(amount) < 0.005:
        decimals = -math.floor(math.log10(abs(amount)))
        while float(f"{abs(amount):.{decimals}f}") == 0:
            decimals += 1
    text = f"{abs(amount):,.{decimals}f}"
    return f"-${text}" if amount < 0 else f"${text}"


def table(credits: Credits) -> str:
    rows = [
        ("Total credits", money(credits.total_credits)),
        ("Total usage", money(credits.total_usage)),
        ("Remaining", money(credits.remaining)),
    ]
    width = max(len(amount) for _, amount in rows)
    return "\n".join(f"{label:<14}{amount:>{width}}" for label, amount in rows)


def as_json(credits: Credits, **more: object) -> str:
    """``{"total_credits": ..., "total_usage": ..., "remaining": ...}``, then ``more`` (``--watch``:
    ``time`` and ``change``, null on the first line)."""
    body = {"total_credits": credits.total_credits, "total_usage": credits.total_usage, "remaining": credits.remaining}
    return json.dumps({**body, **more})


def _gauge(name: str, help_text: str, value: float) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value!r}"]


def prometheus(credits: Credits | None, now: float) -> str:
    """The text exposition format; on a failed fetch only ``up 0``, never a balance of zero."""
    lines: list[str] = []
    if credits is not None:
        values = (credits.total_credits, credits.total_usage, credits.remaining)
        for (name, help_text), value in zip(METRICS, values, strict=True):
            lines += _gauge(name, help_text, value)
    lines += _gauge(*UP, 1 if credits is not None else 0)
    if credits is not None:
        lines += _gauge(*LAST_SUCCESS, round(now, 3))
    return "\n".join(lines)


def _read_from_terminal() -> str:
    """Ask for the key on the terminal, without echoing it."""
    import termios

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    new = termios.tcgetattr(fd)
    new[3] &= ~termios.ECHO
    try:
        # Echo off first (dropping anything typed ahead), then the prompt: what is typed after it stays.
        termios.tcsetattr(fd, termios.TCSAFLUSH, new)
        print("OpenRouter API key (not shown): ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, old)
        print(file=sys.stderr)
    return line


def read_key(path: str) -> str:
    """The key in the file at ``path`` (``-``: standard input, or the terminal, asked without echo)."""
    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            text = _read_from_terminal() if sys.stdin.isatty() else sys.stdin.read(4096)
        else:
            with open(path, encoding="utf-8") as handle:
                mode = os.fstat(handle.fileno()).st_mode
                text = handle.read(4096)
            if mode & 0o077:
                print(
                    f"warning: --api-key-file {path} can be read by other users (mode {mode & 0o777:03o}); "
                    f"run: chmod 600 {path}",
                    file=sys.stderr,
                )
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigurationError(f"Cannot read the key from --api-key-file {path}: {reason}.") from None
    key = text.strip()
    if not key:
        raise ConfigurationError(f"--api-key-file: {where} holds no key.")
    if key.startswith(f"{_config.API_KEY_ENV}=") or key.startswith(f"export {_config.API_KEY_ENV}="):
        raise ConfigurationError(
            f"--api-key-file: {where} holds '{_config.API_KEY_ENV}=...': the file holds the key alone "
            "(sk-or-v1-...), nothing else."
        )
    return key


def _argument(convert: Callable[[str], T], valid: Callable[[T], bool], expected: str) -> Callable[[str], T]:
    """An argparse type: ``convert`` the text, and refuse it unless ``valid``, saying what was expected."""

    def parse(text: str) -> T:
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected}")
        return value

    return parse


positive_seconds = _argument(float, lambda v: math.isfinite(v) and v > 0, "a number of seconds above 0")
non_negative_int = _argument(int, lambda v: v >= 0, "a whole number, 0 or more")
amount = _argument(float, math.isfinite, "an amount of dollars")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="openrouter-credits",
        description="Show the credits balance of an OpenRouter account.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # scripts must not come to depend on a prefix of an option
    )
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_const", const="json", dest="format", help="print JSON")
    output.add_argument("--format", choices=("table", "json", "prometheus"), default="table", help="output format")
    p.add_argument("--below", type=amount, metavar="DOLLARS", help="exit 1 when remaining is below DOLLARS")
    p.add_argument("--watch", type=positive_seconds, metavar="SECONDS", help="poll every SECONDS until Ctrl-C")
    p.add_argument(
        "--api-key-file", metavar="PATH", help=f"read the key from PATH (- for stdin), not ${_config.API_KEY_ENV}"
    )
    p.add_argument(
        "--base-url", help=f"API base URL (default: ${_config.BASE_URL_ENV}, else {_config.DEFAULT_BASE_URL})"
    )
    p.add_argument(
        "--timeout", type=positive_seconds, help="seconds for each attempt (default: 5 to connect, 10 to read)"
    )
    p.add_argument(
        "--deadline",
        type=positive_seconds,
        default=_config.DEFAULT_DEADLINE,
        help="seconds for the whole call, retries included (default: %(default)g)",
    )
    p.add_argument(
        "--max-retries", type=non_negative_int, default=_config.DEFAULT_MAX_RETRIES, help="default: %(default)s"
    )
    p.add_argument("--debug", action="store_true", help="show DEBUG logs and tracebacks (never the key)")
    p.add_argument("--version", action="version", version=f"%(prog)s {_config.__version__}")
    return p


def report(error: OpenRouterCreditsError, debug: bool, stream: TextIO) -> None:
    """One line, ``error: ...``, naming the command's options (a traceback first with --debug)."""
    if debug:
        traceback.print_exception(error, file=stream)
    print(f"error: {error.describe(CLI_TERMS)}", file=stream)


def watch(client: CreditsClient, args: argparse.Namespace) -> int:
    previous: Credits | None = None
    while True:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            credits = client.get_credits()
        except OpenRouterCreditsError as error:
            print(f"{stamp} error: {error.describe(CLI_TERMS)}", file=sys.stderr, flush=True)
        else:
            delta = None if previous is None else exact_difference(credits.remaining, previous.remaining)
            if args.format == "json":
                line = as_json(credits, time=stamp, change=delta)
            else:
                change = "" if delta is None else f"  change {money(delta)}"
                line = (
                    f"{stamp}  remaining {money(credits.remaining)}  credits {money(credits.total_credits)}"
                    f"  usage {money(credits.total_usage)}{change}"
                )
                if args.below is not None and credits.remaining < args.below:
                    line += f"  BELOW {money(args.below)}"
            print(line, flush=True)
            previous = credits
        time.sleep(args.watch)


def run(args: argparse.Namespace) -> int:
    key = read_key(args.api_key_file) if args.api_key_file else None
    if key is None and _config.API_KEY_ENV not in os.environ:
        raise ConfigurationError(f"No API key: set {_config.API_KEY_ENV} or use --api-key-file PATH.")
    options = {} if args.timeout is None else {"timeout": args.timeout}
    with CreditsClient(
        key, base_url=args.base_url, max_retries=args.max_retries, deadline=args.deadline, **options
    ) as client:
        if args.watch is not None:
            return watch(client, args)
        try:
            credits = client.get_credits()
        except OpenRouterCreditsError as error:
            if args.format == "prometheus":
                print(prometheus(None, time.time()), flush=True)
            report(error, args.debug, sys.stderr)
            return exit_code(error)
    if args.format == "json":
        print(as_json(credits))
    elif args.format == "prometheus":
        print(prometheus(credits, time.time()))
    else:
        print(table(credits))
    if credits.total_credits == 0 and credits.total_usage == 0:
        print(ZERO_HINT, file=sys.stderr)
    if args.below is not None and credits.remaining < args.below:
        print(f"below: remaining {money(credits.remaining)} is under {money(args.below)}", file=sys.stderr)
        return EXIT_BELOW
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.watch is not None and args.format == "prometheus":
        parser().error("--watch prints lines or JSON; for Prometheus run it once per scrape or cron tick")
    if args.debug:
        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
    try:
        status = run(args)
        sys.stdout.flush()  # here, so that a failed write is reported like any other error
    except ConfigurationError as error:
        report(error, args.debug, sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        # The reader went away (| head): nothing more to say, and nothing to flush at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    except OSError as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        reason = exc.strerror or type(exc).__name__
        print(f"error: could not write the output: {reason}. Check the disk or the file it goes to.", file=sys.stderr)
        return EXIT_OUTPUT
    return status


if __name__ == "__main__":
    sys.exit(main())
