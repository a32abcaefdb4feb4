"""What every command shares: option types, the common options, exit statuses and error reports."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

from .. import _defaults
from .._exceptions import ConfigurationError, OpenRouterCreditsError

T = TypeVar("T")

EXIT_OK = 0
EXIT_BELOW = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NETWORK = 4
EXIT_INVALID = 5
EXIT_OUTPUT = 6
#: The ledger cannot be used as named (not a ledger, a newer schema, PostgreSQL refused the login).
EXIT_LEDGER = 7
#: The ledger cannot be read or written now (read-only or full disk, PostgreSQL down, busy too long).
EXIT_LEDGER_UNAVAILABLE = 8
#: Ctrl-C: the status of a process killed by SIGINT (128 + 2), as Unix tools exit.
EXIT_INTERRUPTED = 130
#: A closed pipe (``| head -1``) ends the command quietly with the status a Unix tool killed by
#: SIGPIPE has (128 + 13).
EXIT_PIPE = 141

#: The exit status of each kind of error (``OpenRouterCreditsError.kind``).
EXIT_FOR_KIND = {
    "configuration": EXIT_USAGE,
    "auth": EXIT_AUTH,
    "permission": EXIT_AUTH,
    "rate_limit": EXIT_NETWORK,
    "server": EXIT_NETWORK,
    "network": EXIT_NETWORK,
    "timeout": EXIT_NETWORK,
    "invalid_response": EXIT_INVALID,
    "ledger": EXIT_LEDGER,
    "ledger_unavailable": EXIT_LEDGER_UNAVAILABLE,
}

#: The command line's names for the library's settings, used in error messages.
CLI_TERMS = {
    "api_key": "--api-key-file",
    "key_source": "OPENROUTER_API_KEY or --api-key-file",
    "base_url": "--base-url",
    "timeout": "--timeout",
    "deadline": "--deadline",
    "max_retries": "--max-retries",
    "workspace_id": "--workspace",
}


def exit_code(error: OpenRouterCreditsError) -> int:
    return EXIT_FOR_KIND[error.kind]


def worst(statuses: Iterable[int]) -> int:
    """The worst of several exit statuses: a usage error, then the highest."""
    return max(statuses, key=lambda status: (status == EXIT_USAGE, status), default=EXIT_OK)


def terms(args: argparse.Namespace) -> dict[str, str]:
    """How messages name the settings for this run: the options, or the variable a value came from."""
    import os

    named = dict(CLI_TERMS)
    if getattr(args, "base_url", None) is None and os.environ.get(_defaults.BASE_URL_ENV):
        named["base_url"] = _defaults.BASE_URL_ENV
    return named


def report(error: OpenRouterCreditsError, args: argparse.Namespace, stream: TextIO, prefix: str = "") -> None:
    """One line, ``error: ...``, naming the command's options (a traceback first with --debug, with
    every secret redacted: the exceptions it chains are not ours, and may quote what the server sent)."""
    if getattr(args, "debug", False):
        from .._logging import redact

        print(redact("".join(traceback.format_exception(error))), end="", file=stream)
    print(f"error: {prefix}{error.describe(terms(args))}", file=stream)


def argument(convert: Callable[[str], T], valid: Callable[[T], bool], expected: str) -> Callable[[str], T]:
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


#: The shortest interval between polls, for --watch and serve --interval alike.
MIN_INTERVAL = 1.0

positive_seconds = argument(float, lambda v: math.isfinite(v) and v > 0, "a number of seconds above 0")
interval_seconds = argument(
    float, lambda v: math.isfinite(v) and v >= MIN_INTERVAL, f"a number of seconds, {MIN_INTERVAL:g} or more"
)
non_negative_int = argument(int, lambda v: v >= 0, "a whole number, 0 or more")
dollars = argument(float, lambda v: math.isfinite(v) and v >= 0, "an amount of dollars, 0 or more")
day_count = argument(float, lambda v: math.isfinite(v) and v > 0, "a number of days above 0")
multiple = argument(float, lambda v: math.isfinite(v) and v > 1, "a multiple above 1 (such as 3)")


def add_common(p: argparse.ArgumentParser, *, config: bool, in_command: bool = True) -> None:
    """The options every command takes: where the key comes from, the base URL, the call's limits.

    A command's copy has no defaults of its own (SUPPRESS), so that an option given before the
    command's name is not reset by the command's parser."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if in_command else value

    p.add_argument(
        "--api-key-file",
        metavar="FILE",
        default=default(None),
        help=f"read the key from FILE (- for standard input, asked without echo on a terminal) instead of "
        f"${_defaults.API_KEY_ENV}",
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        default=default(None),
        help=f"the API's base URL (default: ${_defaults.BASE_URL_ENV}, else {_defaults.DEFAULT_BASE_URL})",
    )
    p.add_argument(
        "--timeout",
        type=positive_seconds,
        metavar="SECONDS",
        default=default(None),
        help=f"seconds for each attempt (default: {_defaults.DEFAULT_TIMEOUT.connect:g} to connect, "
        f"{_defaults.DEFAULT_TIMEOUT.read:g} to read)",
    )
    p.add_argument(
        "--deadline",
        type=positive_seconds,
        default=default(_defaults.DEFAULT_DEADLINE),
        metavar="SECONDS",
        help=f"seconds for the whole call, retries included (default: {_defaults.DEFAULT_DEADLINE:g})",
    )
    p.add_argument(
        "--max-retries",
        type=non_negative_int,
        default=default(_defaults.DEFAULT_MAX_RETRIES),
        metavar="N",
        help=f"attempts after the first on a network error, 429 or 5xx (default: {_defaults.DEFAULT_MAX_RETRIES})",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show DEBUG logs and tracebacks (never a key or a token)",
    )
    if config:
        p.add_argument(
            "--config",
            metavar="FILE",
            default=default(None),
            help="a TOML file of keys to watch ([keys.NAME] with api_key_file or api_key_env)",
        )


def client_options(args: argparse.Namespace) -> dict[str, object]:
    """The client's keyword arguments from the common options."""
    options: dict[str, object] = {"base_url": args.base_url, "max_retries": args.max_retries, "deadline": args.deadline}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    clock = getattr(args, "clock", None)
    if clock is not None:  # main(clock=...): the time the calls are made at, in tests
        options["clock"] = clock
    return options


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
    from .._apps.config_file import key_from_text, read_key_file

    if path != "-":
        return read_key_file(path, "--api-key-file")
    try:
        text = _read_from_terminal() if sys.stdin.isatty() else sys.stdin.read(_defaults.MAX_KEY_FILE_CHARS)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigurationError(f"--api-key-file: cannot read standard input: {reason}.") from None
    return key_from_text(text, "--api-key-file: standard input")


def the_key(args: argparse.Namespace) -> str | None:
    """The one key of --api-key-file, or None for the environment's (which the client reads and names)."""
    if args.api_key_file:
        return read_key(args.api_key_file)
    import os

    if _defaults.API_KEY_ENV not in os.environ:
        raise ConfigurationError(f"No API key: set {_defaults.API_KEY_ENV} or use --api-key-file FILE.")
    return None


def unicode_terminal(stream: TextIO) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return stream.isatty() and encoding == "utf8"


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C held off while the block runs (a journal entry written whole, not cut short), then raised
    as ``KeyboardInterrupt`` once it is done. Outside the main thread (no signal arrives there) it
    holds nothing."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    before = signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
    if came:
        raise KeyboardInterrupt
