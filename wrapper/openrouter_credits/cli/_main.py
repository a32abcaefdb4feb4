"""openrouter-credits: the balance on the command line, for people, cron jobs and Prometheus.

    openrouter-credits [options]            what is left, what may be spent, and for how long
    openrouter-credits spend [options]      30 days of spend as a chart (--by model|provider)
    openrouter-credits keys [options]       every key of the account, the most spent first
    openrouter-credits keys disable KEY     change one key (enable, set-limit, remove-limit), journaled
    openrouter-credits guard log            the journal of changes to keys
    openrouter-credits serve [options]      a Prometheus exporter for one key or several
    openrouter-credits sync|report|history  the ledger: spend beyond 30 days, monthly reports

A thin layer over the library: each command registers its options and its ``run``; answers become
text (``_output``), errors one line and an exit status (``_common``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from .. import _defaults
from .._exceptions import OpenRouterCreditsError
from . import guard, keys, ledger, serve, spend, view
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OUTPUT,
    EXIT_PIPE,
    add_common,
    exit_code,
    report,
)

EPILOG = f"""\
examples:
  openrouter-credits                       remaining, spendable, spend per day, days left, the key's own view
  openrouter-credits --json                the same as JSON (null where unknown)
  openrouter-credits --format prometheus   for node_exporter's textfile collector
  openrouter-credits --below 5             exit 1 when less than $5 may be spent (cron, CI, alerting)
  openrouter-credits --days-below 7        exit 1 when the credits last less than 7 days at the current pace
  openrouter-credits --spike 3             exit 1 when today's spend so far is 3x what the forecast expects by now
  openrouter-credits --watch 60            poll every 60 s, one line per poll, until Ctrl-C
  openrouter-credits spend                 the last 30 days of spend as a chart
  openrouter-credits spend --by model      the 30 days' spend per model, the last 7 days beside it
  openrouter-credits keys                  every key of the account: limit, window, left, status
  openrouter-credits keys --status near_limit,will_exhaust
                                           exit 1 when any key is near or bound to reach its limit
  openrouter-credits keys disable ci-nightly
                                           disable a key (shown, asked, journaled; --yes, --dry-run)
  openrouter-credits guard log             the journal of changes to keys, serve's guards' and the command's
  openrouter-credits --config keys.toml    one row per key of the file (--json: a list)
  openrouter-credits serve --config keys.toml
                                           a Prometheus exporter on {_defaults.DEFAULT_LISTEN}, with alerts
  openrouter-credits sync --quiet          fill the ledger (cron): every key's usage, activity, a year of analytics
  openrouter-credits report                spend per month from the ledger, month to date and 12 months
  openrouter-credits report --month 2026-11 --by key,model --format focus
                                           one month for finance: FinOps FOCUS columns as CSV

The key comes from ${_defaults.API_KEY_ENV} or --api-key-file (- reads standard input, or asks on a
terminal without echoing); no option takes the key itself, which would show in the process list and
shell history. A management (provisioning) key sees everything ({_defaults.MANAGEMENT_KEYS_URL});
another key sees its own limit and usage. The base URL comes from --base-url, else
${_defaults.BASE_URL_ENV}, else {_defaults.DEFAULT_BASE_URL}. Amounts are US dollars; what cannot be
known for a key shows as unknown (null in JSON, no series in Prometheus), never as 0.

exit codes:
  0    ok
  1    --below, --days-below or --spike tripped; keys --status found a key in one of the statuses;
       a change to a key was declined at the prompt
  2    usage or configuration error (no key, bad option, bad base URL)
  3    authentication or permission error (401, 403; an ordinary key for keys), or what --below,
       --days-below or --spike needs cannot be known for this key, or the analytics API gives no
       breakdown by end user, member or app (spend --by user, member, app)
  4    network, timeout, rate limit (429) or server error (5xx), after retries
  5    invalid or unexpected response from the server
  6    the output could not be written (a full disk, a closed file)
  7    the ledger cannot be used as named: not a ledger, written by a newer version, PostgreSQL
       refused the login (change --ledger or upgrade)
  8    the ledger (or the journal of changes to keys) cannot be read or written now: read-only or
       full disk, PostgreSQL down, busy too long; nothing was half-written (try again: sync resumes)
  130  interrupted (Ctrl-C)
  141  the reader of the output went away (| head): nothing is printed, as for other Unix tools
When several apply (a threshold tripped and a call failed, several keys of --config), each is said on
stderr and the highest is the exit status (2 before all).
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="openrouter-credits",
        usage="%(prog)s [COMMAND] [options]",
        description="Show what is left of an OpenRouter account's credits, what a key may still spend, and "
        "for how long.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # scripts must not come to depend on a prefix of an option
    )
    view.add_view_options(p)
    add_common(p, config=True, in_command=False)
    p.add_argument("--version", action="version", version=f"%(prog)s {_defaults.__version__}")
    commands = p.add_subparsers(
        dest="command", metavar="COMMAND", title="commands (none: the balance view)", prog="openrouter-credits"
    )
    spend.register(commands)
    keys.register(commands)
    serve.register(commands)
    guard.register(commands)
    ledger.register(commands)
    p.set_defaults(run=view.run)
    return p


def _commands(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parsers of ``p``'s commands, by name."""
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _arguments(p: argparse.ArgumentParser) -> list[str]:
    """The positional arguments ``p`` takes (its commands aside), by the names its usage shows."""
    return [
        str(action.metavar or action.dest)
        for action in p._actions
        if not action.option_strings and action.nargs != argparse.PARSER
    ]


def _closest(option: str, parser: argparse.ArgumentParser) -> str | None:
    """The option of ``parser`` that ``option`` most likely meant: the one it begins (options are
    spelled out), else the most alike."""
    import difflib

    options = [name for name in parser._option_string_actions if name.startswith("--")]
    options = [name for name in options if name not in ("--help", "--version")]
    begun = [name for name in options if name.startswith(option)]
    if len(begun) == 1:
        return begun[0]
    alike = difflib.get_close_matches(option, options, n=1, cutoff=0.75)
    return alike[0] if alike else None


def refuse_unknown(p: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Exit 2 at the first option no parser takes, with the usage of the parser it was given to (a
    command's own after the command's name) and the option it most likely meant; likewise for an
    argument a command does not take. argparse alone would take the value of a mistyped option for
    a command's name (``--belo 5``: "invalid choice: '5'"), and answer a command's mistake with the
    usage of the whole program."""
    commands = _commands(p)
    parser, command = p, None
    value_next = False
    arguments = 0  # the positional arguments the current command took so far
    for word in argv:
        if value_next:  # the value of the option before, whatever it looks like
            value_next = False
            continue
        if word == "--":
            return
        if not word.startswith("-") or word == "-" or word[1:2].isdigit():
            if word in commands and (command is None or arguments == 0):
                parser, command = commands[word], word if command is None else f"{command} {word}"
                commands, arguments = _commands(parser), 0
            elif command is not None and arguments < len(_arguments(parser)):
                arguments += 1
            elif command is not None:
                names = _arguments(parser)
                takes = f"{' '.join(names)} and options" if names else "options only"
                more = f", or one of {', '.join(commands)}" if commands else ""
                parser.error(f"unexpected argument {word!r}: {command} takes {takes}{more}")
            continue  # argparse says what is wrong with it
        option, given, _ = word.partition("=")
        action = parser._option_string_actions.get(option)
        if action is None:
            if command is not None and option in p._option_string_actions and option != "--config":
                parser.error(f"{option} is an option of the balance view, not of {command}: leave it out")
            meant = _closest(option, parser)
            hint = f"did you mean {meant}?" if meant else f"{parser.prog} --help lists the options"
            parser.error(f"unknown option {option}: {hint}")
        value_next = not given and action.nargs != 0


def _quiet(stream_fd: int) -> None:
    """Point a standard stream that cannot be written at /dev/null, so nothing fails at exit."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream_fd)


def main(argv: Sequence[str] | None = None, *, clock: Callable[[], dt.datetime] | None = None) -> int:
    """The command with ``argv`` (the process's arguments, unless given); the exit status. ``clock``:
    the clients' clock (the time the figures are for: today's date, the spike's hour), for tests."""
    p = parser()
    refuse_unknown(p, sys.argv[1:] if argv is None else argv)
    args = p.parse_args(argv)
    args.clock = clock
    if args.command is not None:
        given = [flag for dest, flag in view.VIEW_OPTIONS.items() if getattr(args, dest, None) is not None]
        if given == ["--ledger"] and "--ledger" in _commands(p)[args.command]._option_string_actions:
            p.error(f"{given[0]} before the command's name is the view's: give it after, {args.command} {given[0]}")
        if given:
            p.error(f"{given[0]} is an option of the balance view, not of {args.command}: leave it out")
    if args.debug:
        from .._logging import debug_logging

        debug_logging()
    try:
        status: int = args.run(args)
        sys.stdout.flush()  # here, so that a failed write is reported like any other error
    except OpenRouterCreditsError as error:  # a usage error (2), the ledger's (7, 8), ...
        report(error, args, sys.stderr)
        return exit_code(error)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (| head): nothing more to say, and nothing to flush at exit either.
        _quiet(sys.stdout.fileno())
        return EXIT_PIPE
    except OSError as exc:
        _quiet(sys.stdout.fileno())
        reason = exc.strerror or type(exc).__name__
        print(f"error: could not write the output: {reason}. Check the disk or the file it goes to.", file=sys.stderr)
        return EXIT_OUTPUT
    return status


def _calls_in_flight() -> bool:
    """Whether a call's worker thread is still waiting for an answer (the interpreter would join it)."""
    import threading

    from .._plan import WORKER_THREAD_PREFIX

    return any(t.name.startswith(WORKER_THREAD_PREFIX) and t.is_alive() for t in threading.enumerate())


def console() -> NoReturn:
    """The ``openrouter-credits`` command (and ``python -m openrouter_credits``): ``main()``, then exit.

    After Ctrl-C, or whenever calls are still in flight, the process exits at once: the interpreter
    would otherwise join the calls' worker threads at exit and wait for their answers (up to the
    deadline) before the shell gets its prompt back."""
    try:
        status = main()
    except KeyboardInterrupt:  # while the options were read, or a second Ctrl-C as main() ended
        status = EXIT_INTERRUPTED
    # A Ctrl-C from here on (the interpreter joining threads at exit) ends the process at once, with
    # no traceback.
    signal.signal(signal.SIGINT, lambda signum, frame: _exit_now(EXIT_INTERRUPTED))
    if status == EXIT_INTERRUPTED or _calls_in_flight():
        _exit_now(status)
    sys.exit(status)


def _exit_now(status: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    console()
