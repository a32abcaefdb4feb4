"""openrouter-credits: the balance on the command line, for people, cron jobs and Prometheus.

    openrouter-credits [options]            what is left, what may be spent, and for how long
    openrouter-credits spend [options]      30 days of spend as a chart
    openrouter-credits serve [options]      a Prometheus exporter for one key or several

A thin layer over the library: options become a client, answers become text (``_render``), and
errors become one line and an exit status.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO, TypeVar

from . import _config
from ._client import CreditsClient
from ._exceptions import ConfigurationError, OpenRouterCreditsError
from ._views import (
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_PIPE,
    EXIT_USAGE,
    exit_code,
    report,
    run_many,
    show_balance,
    watch,
)

if TYPE_CHECKING:
    from ._keys import KeySpec

T = TypeVar("T")

EPILOG = f"""\
examples:
  openrouter-credits                       remaining, spendable, spend per day, days left, the key's own view
  openrouter-credits --json                the same as JSON (null where unknown)
  openrouter-credits --format prometheus   for node_exporter's textfile collector
  openrouter-credits --below 5             exit 1 when less than $5 may be spent (cron, CI, alerting)
  openrouter-credits --days-below 7        exit 1 when the credits last less than 7 days at the current pace
  openrouter-credits --watch 60            poll every 60 s, one line per poll, until Ctrl-C
  openrouter-credits spend                 the last 30 days of spend as a chart
  openrouter-credits --config keys.toml    one row per key of the file (--json: a list)
  openrouter-credits serve --config keys.toml --notify-url URL
                                           a Prometheus exporter on 127.0.0.1:9877, with alerts

The key comes from ${_config.API_KEY_ENV} or --api-key-file (- reads standard input, or asks on a
terminal without echoing); no option takes the key itself, which would show in the process list and
shell history. A management (provisioning) key sees everything ({_config.MANAGEMENT_KEYS_URL});
another key sees its own limit and usage. The base URL comes from --base-url, else
${_config.BASE_URL_ENV}, else {_config.DEFAULT_BASE_URL}. Amounts are US dollars; what cannot be
known for a key shows as unknown (null in JSON, no series in Prometheus), never as 0.

exit codes:
  0  ok
  1  --below or --days-below tripped
  2  usage or configuration error (no key, bad option, bad base URL)
  3  authentication or permission error (401, 403), or what --below or --days-below needs
     cannot be known for this key
  4  network, timeout or server error (5xx, 429), after retries
  5  invalid or unexpected response from the server
  6  the output could not be written (a full disk, a closed file)
  141  the reader of the output went away (| head): nothing is printed, as for other Unix tools
"""


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
    from ._keys import key_from_text, read_key_file

    if path != "-":
        return read_key_file(path, "--api-key-file")
    try:
        text = _read_from_terminal() if sys.stdin.isatty() else sys.stdin.read(4096)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigurationError(f"--api-key-file: cannot read standard input: {reason}.") from None
    return key_from_text(text, "--api-key-file: standard input")


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


positive_seconds = _argument(float, lambda v: math.isfinite(v) and v > 0, "a number of seconds above 0")
non_negative_int = _argument(int, lambda v: v >= 0, "a whole number, 0 or more")
amount = _argument(float, math.isfinite, "an amount of dollars")
day_count = _argument(float, lambda v: math.isfinite(v) and v > 0, "a number of days above 0")


def _common(p: argparse.ArgumentParser, *, in_command: bool) -> None:
    """The options every command takes. A command's copy has no defaults of its own (SUPPRESS), so
    an option given before the command name is not reset by the command's parser."""
    keep = argparse.SUPPRESS if in_command else None

    def default(value: object) -> object:
        return argparse.SUPPRESS if in_command else value

    p.add_argument(
        "--api-key-file",
        metavar="PATH",
        default=keep,
        help=f"read the key from PATH (- for stdin), not ${_config.API_KEY_ENV}",
    )
    p.add_argument(
        "--base-url",
        default=keep,
        help=f"API base URL (default: ${_config.BASE_URL_ENV}, else {_config.DEFAULT_BASE_URL})",
    )
    p.add_argument(
        "--timeout",
        type=positive_seconds,
        default=keep,
        help="seconds for each attempt (default: 5 to connect, 10 to read)",
    )
    p.add_argument(
        "--deadline",
        type=positive_seconds,
        default=default(_config.DEFAULT_DEADLINE),
        help=f"seconds for the whole call, retries included (default: {_config.DEFAULT_DEADLINE:g})",
    )
    p.add_argument(
        "--max-retries",
        type=non_negative_int,
        default=default(_config.DEFAULT_MAX_RETRIES),
        help=f"default: {_config.DEFAULT_MAX_RETRIES}",
    )
    p.add_argument(
        "--debug", action="store_true", default=default(False), help="show DEBUG logs and tracebacks (never the key)"
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        default=keep,
        help="a TOML file of keys to watch ([keys.NAME] with api_key_file or api_key_env)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="openrouter-credits",
        description="Show what is left of an OpenRouter account's credits, what a key may still spend, and "
        "for how long.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # scripts must not come to depend on a prefix of an option
    )
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_const", const="json", dest="format", help="print JSON")
    output.add_argument("--format", choices=("table", "json", "prometheus"), default="table", help="output format")
    p.add_argument("--below", type=amount, metavar="DOLLARS", help="exit 1 when spendable is below DOLLARS")
    p.add_argument("--days-below", type=day_count, metavar="DAYS", help="exit 1 when days left is below DAYS")
    p.add_argument("--watch", type=positive_seconds, metavar="SECONDS", help="poll every SECONDS until Ctrl-C")
    _common(p, in_command=False)
    p.add_argument("--version", action="version", version=f"%(prog)s {_config.__version__}")
    commands = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    spend = commands.add_parser(
        "spend",
        help="the last 30 completed UTC days of spend as a bar chart (a management key)",
        description="The last 30 completed UTC days of the account's spend, one bar a day, with the total "
        "and the daily average. Plain ASCII when standard output is not a UTF-8 terminal.",
        allow_abbrev=False,
    )
    _common(spend, in_command=True)
    from ._exporter import DEFAULT_LISTEN
    from ._serve import listen_address

    serve = commands.add_parser(
        "serve",
        help="a Prometheus exporter: /metrics and /healthz for one key or several, with alerts",
        description="Poll each key every --interval seconds and serve the results at /metrics (Prometheus "
        "text) and /healthz; post to --notify-url when a key crosses its below or days_below threshold, and "
        "when it recovers. SIGTERM or Ctrl-C stops it.",
        allow_abbrev=False,
    )
    _common(serve, in_command=True)
    serve.add_argument(
        "--listen",
        type=listen_address,
        default=listen_address(DEFAULT_LISTEN),
        metavar="HOST:PORT",
        help=f"where to serve (default {DEFAULT_LISTEN}, loopback only)",
    )
    serve.add_argument(
        "--interval", type=positive_seconds, default=60.0, metavar="SECONDS", help="seconds between polls (default 60)"
    )
    serve.add_argument("--notify-url", metavar="URL", help='a webhook taking {"text": ...} (Slack, Mattermost, ...)')
    serve.add_argument(
        "--state-dir", metavar="DIR", help="where the alert state is kept (default: the user's state dir)"
    )
    serve.add_argument(
        "--below",
        type=amount,
        default=argparse.SUPPRESS,
        metavar="DOLLARS",
        help="alert threshold (spendable) of the key without --config",
    )
    serve.add_argument(
        "--days-below", type=day_count, default=argparse.SUPPRESS, metavar="DAYS", help="the same, for the days left"
    )
    return p


def _unicode_terminal(stream: TextIO) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return stream.isatty() and encoding == "utf8"


def keys_of(args: argparse.Namespace) -> list[KeySpec]:
    """The keys to use: those of --config, or the one key of --api-key-file or the environment."""
    from ._keys import KeySpec, load_keys

    if args.config:
        if args.api_key_file:
            raise ConfigurationError("--config names the keys: leave out --api-key-file.")
        return load_keys(args.config)
    if not args.api_key_file and _config.API_KEY_ENV not in os.environ:
        raise ConfigurationError(f"No API key: set {_config.API_KEY_ENV} or use --api-key-file PATH.")
    # None: the client reads the environment itself, and names it in its messages.
    key = read_key(args.api_key_file) if args.api_key_file else None
    return [KeySpec("default", key, args.below, args.days_below)]


def run(args: argparse.Namespace) -> int:
    specs = keys_of(args)
    options: dict[str, object] = {"base_url": args.base_url, "max_retries": args.max_retries, "deadline": args.deadline}
    if getattr(args, "timeout", None) is not None:
        options["timeout"] = args.timeout
    if args.command == "serve":
        from ._serve import serve

        return serve(args, specs)
    if args.config:
        if args.command == "spend" or args.watch is not None:
            raise ConfigurationError("--config goes with the view, --json, --format prometheus and serve only.")
        return run_many(args, specs, options)
    key = specs[0].api_key
    with CreditsClient(key, **options) as client:  # type: ignore[arg-type]
        if args.command == "spend":
            from ._render import spend_chart

            try:
                activity = client.get_activity()
            except OpenRouterCreditsError as error:
                report(error, args.debug, sys.stderr)
                return exit_code(error)
            print(spend_chart(activity.daily_spend, unicode=_unicode_terminal(sys.stdout)))
            return EXIT_OK
        if args.watch is not None:
            return watch(client, args)
        try:
            balance = client.get_balance()
        except OpenRouterCreditsError as error:
            if args.format == "prometheus":
                from ._render import balance_metrics, exposition

                print(exposition(balance_metrics(None, {}, up=False, last_success=None)), end="", flush=True)
            report(error, args.debug, sys.stderr)
            return exit_code(error)
    return show_balance(balance, args)


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
