"""``openrouter-credits sync``, ``report`` and ``history``: the ledger on the command line.

Registering the commands imports nothing of the ledger: the one-shot view stays cheap to start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from .._exceptions import ConfigurationError, OpenRouterCreditsError
from ._common import EXIT_OK, add_common, argument, client_options, exit_code, report, the_key, worst

if TYPE_CHECKING:
    from .._balance import Balance
    from ..ledger import Ledger, Location

__all__ = ["register"]

LEDGER_HELP = (
    "the ledger: a file path or a postgresql:// URL (default: $OPENROUTER_CREDITS_LEDGER, else "
    "$XDG_DATA_HOME/openrouter-credits/ledger.sqlite3)"
)
DIMENSIONS = ("key", "model", "provider", "workspace", "team")
#: What --by takes from the analytics API, not the ledger (which does not hold them): one at a time.
WHO = ("user", "member", "app")


def _month(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y-%m").date()


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


month_arg = argument(_month, lambda v: True, "a month as YYYY-MM")
day_arg = argument(_day, lambda v: True, "a day as YYYY-MM-DD")
days_arg = argument(int, lambda v: 1 <= v <= 3660, "a number of days, 1 to 3660")


def _dimensions(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    bad = [name for name in names if name not in DIMENSIONS + WHO]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not one of {', '.join(DIMENSIONS + WHO)} (two at once: key,model)"
        )
    if len(names) > 1 and set(names) & set(WHO):
        raise argparse.ArgumentTypeError(
            f"{text!r}: {', '.join(WHO)} come from the analytics API, one at a time: give it alone"
        )
    if {"key", "team"} <= set(names):
        raise argparse.ArgumentTypeError(f"{text!r}: a key belongs to one team: give key or team")
    return names


def _ledger_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ledger", metavar="FILE|URL", help=LEDGER_HELP)
    p.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help='a TOML file whose top-level ledger = "..." names the ledger (as serve reads it); report reads its '
        "[teams.NAME] tables too",
    )


def register(commands: Any) -> None:
    sync = commands.add_parser(
        "sync",
        help="fill the ledger: /credits, every key's usage, /activity and a year of analytics (a management key)",
        description="Read every source the key can read and write it to the ledger: snapshots of /credits and of "
        "every key's lifetime usage, the 30 days of /activity, and up to 365 days of analytics. The first sync "
        "backfills (resumable: an interrupted one goes on where it stopped); later ones fetch what is new and the "
        "last two days again. For cron: sync --quiet.",
        allow_abbrev=False,
    )
    _ledger_options(sync)
    sync.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress bar, no summary)")
    sync.add_argument("--no-analytics", action="store_true", help="skip the analytics backfill")
    add_common(sync, config=False)
    sync.set_defaults(run=run_sync)

    rep = commands.add_parser(
        "report",
        help="spend per month from the ledger (--month, --by key|model|provider|workspace|team, --format focus)",
        description="The last 12 months and this month so far, one row a month, from the ledger; --month or "
        "--from/--to break a period down --by key, model, provider, workspace or team (the [teams.NAME] of "
        "--config; two at once: --by key,model). Days no source covered are gaps, never $0. --by user, member "
        "or app asks the analytics API for the period (a management key; up to 365 days back): the ledger does "
        "not hold them.",
        allow_abbrev=False,
    )
    _ledger_options(rep)
    period = rep.add_mutually_exclusive_group()
    period.add_argument("--month", type=month_arg, metavar="YYYY-MM", help="one month, broken down (--by)")
    period.add_argument("--from", dest="start", type=day_arg, metavar="YYYY-MM-DD", help="the first day of a range")
    rep.add_argument(
        "--to", dest="end", type=day_arg, metavar="YYYY-MM-DD", help="the last day of a range (default: today)"
    )
    rep.add_argument(
        "--by",
        type=_dimensions,
        metavar="DIMENSION",
        help="key, model, provider, workspace or team; or two, key,model; or user (the end user), member or app, "
        "from the analytics API",
    )
    output = rep.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_const", const="json", dest="output", help="print JSON")
    output.add_argument("--csv", action="store_const", const="csv", dest="output", help="print CSV")
    output.add_argument(
        "--format", choices=("table", "json", "csv", "focus"), dest="output",
        help="table (default), json, csv, or focus: FinOps FOCUS columns as CSV, a row per day and key and model",
    )  # fmt: skip
    rep.add_argument(
        "--reconcile", action="store_true", help="the days whose sources disagree by more than 1 %% or $0.01, and why"
    )
    add_common(rep, config=False)
    rep.set_defaults(run=run_report)

    history = commands.add_parser(
        "history",
        help="the daily spend chart beyond 30 days, from the ledger",
        description="One bar a day from the ledger (gaps shown as gaps), then the total.",
        allow_abbrev=False,
    )
    _ledger_options(history)
    history.add_argument("--days", type=days_arg, default=90, metavar="N", help="the last N days (default 90)")
    history.add_argument(
        "--json", action="store_true", help="print [{date, usage, source}, ...] (usage null for a gap)"
    )
    history.set_defaults(run=run_history)


def config_ledger(path: str | None) -> tuple[str | None, str]:
    """The ``ledger`` of a config file (None when it has none), and how messages name it."""
    if path is None:
        return None, ""
    from .._apps.config_file import ledger_setting

    return ledger_setting(path), f"ledger in {path}"


def location_of(args: argparse.Namespace) -> Location:
    from ..ledger import resolve

    value, origin = config_ledger(getattr(args, "config", None))
    return resolve(getattr(args, "ledger", None), value, origin)


def _now(args: argparse.Namespace) -> dt.datetime:
    clock = getattr(args, "clock", None)
    now = clock() if clock is not None else dt.datetime.now(dt.UTC)
    return now if now.tzinfo else now.replace(tzinfo=dt.UTC)


class _Bar:
    """A progress bar on standard error (a terminal only): ``sync: analytics key+model 12/37 [####  ]``."""

    WIDTH = 30

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, what: str, done: int, total: int) -> None:
        filled = int(self.WIDTH * done / total) if total else 0
        count = f" {done}/{total}" if total > 1 else ""
        self.stream.write(f"\r\x1b[Ksync: {what}{count} [{'#' * filled}{' ' * (self.WIDTH - filled)}]")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def run_sync(args: argparse.Namespace) -> int:
    from .._client import CreditsClient
    from ..ledger import open_ledger, sync

    location = location_of(args)
    key = the_key(args)
    bar = _Bar(sys.stderr) if not args.quiet and sys.stderr.isatty() else None
    # A ledger not there yet is created when the first source's answer is written: none is left
    # behind, empty, by a sync whose every source failed (an ordinary key, the network down).
    ledger = open_ledger(location) if location.exists() else _OpenedWhenUsed(location)
    try:  # the ledger's errors are the command's (_main): exit status 7 or 8
        with CreditsClient(key, **client_options(args)) as client:  # type: ignore[arg-type]
            outcome = sync(
                client, cast("Ledger", ledger), now=_now(args), progress=bar, analytics=not args.no_analytics
            )
    finally:
        ledger.close()
        if bar is not None:
            bar.close()
    statuses = [EXIT_OK]
    for where, failed in outcome.errors:
        if isinstance(failed, OpenRouterCreditsError):
            report(failed, args, sys.stderr, prefix=f"{where}: ")
            statuses.append(exit_code(failed))
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    if outcome.ambiguous_rows:
        print(
            f"note: {outcome.ambiguous_rows} analytics rows name a key that two keys share: kept apart as ambiguous",
            file=sys.stderr,
        )
    if not args.quiet:
        print(f"sync: {location.shown}: {sync_summary(outcome.written, outcome.analytics_queries)}")
    return worst(statuses)


def _counted(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def sync_summary(written: Mapping[str, int], queries: int) -> str:
    """What a sync wrote, for every count: ``wrote no new rows``, ``wrote 1 activity row``, ``wrote 26 rows
    (4 activity, 10 analytics, 12 key-snapshots)``; then ``; 1 analytics query`` (or ``N ... queries``)."""
    counts = {source: count for source, count in sorted(written.items()) if count}
    if not counts:
        text = "wrote no new rows"
    elif len(counts) == 1:
        [(source, count)] = counts.items()
        text = f"wrote {_counted(count, f'{source} row', f'{source} rows')}"
    else:
        parts = ", ".join(f"{count:,} {source}" for source, count in counts.items())
        text = f"wrote {_counted(sum(counts.values()), 'row', 'rows')} ({parts})"
    if queries:
        text += f"; {_counted(queries, 'analytics query', 'analytics queries')}"
    return text


class _OpenedWhenUsed:
    """The ledger at ``location``, opened (so created) when sync first reads or writes it."""

    def __init__(self, location: Location) -> None:
        self._location = location
        self._ledger: Ledger | None = None

    def __getattr__(self, name: str) -> Any:
        if self._ledger is None:
            from ..ledger import open_ledger

            self._ledger = open_ledger(self._location)
        return getattr(self._ledger, name)

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()


def _period(args: argparse.Namespace, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The period of --month or --from/--to: one that starts after today is a usage error; a --to
    after today is cut to today, said on stderr (the month so far, as --month of this month)."""
    if args.month is not None:
        if args.end is not None:
            raise ConfigurationError("--to goes with --from, not with --month.")
        start = args.month
        if start > today:
            raise ConfigurationError(
                f"--month {start:%Y-%m} has not begun (today is {today}): give a month up to {today:%Y-%m}."
            )
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, min(following - dt.timedelta(days=1), today)
    if args.start is not None:
        if args.start > today:
            raise ConfigurationError(f"--from {args.start} is after today ({today}): give a day up to today.")
        end = args.end or today
        if end < args.start:
            raise ConfigurationError(f"--to {end} is before --from {args.start}: give the earlier day to --from.")
        if end > today:
            print(f"note: --to {end} is after today: the report ends today, {today} (so far).", file=sys.stderr)
            end = today
        return args.start, end
    if args.end is not None:
        raise ConfigurationError("--to needs --from.")
    return None


def run_report(args: argparse.Namespace) -> int:
    from ..ledger import open_ledger
    from . import _ledger_output as out

    now = _now(args)
    today = now.date()
    period = _period(args, today)
    output = args.output or "table"
    if output == "focus" and period is None:
        raise ConfigurationError("--format focus exports a period: add --month YYYY-MM or --from/--to.")
    if args.by is not None and period is None and not args.reconcile:
        raise ConfigurationError("--by breaks a period down: add --month YYYY-MM or --from/--to.")
    by = args.by or []
    if period is not None and set(by) & set(WHO):
        return _report_who(args, by[0], period, output, today)
    teams = None
    if "team" in by or output == "focus":
        from ._teams import needs_teams, teams_of

        teams = teams_of(args)
        if "team" in by:
            needs_teams(teams, "--by team")
    with open_ledger(location_of(args), create=False) as ledger:
        if args.reconcile:
            start, end = period or (today - dt.timedelta(days=90), today - dt.timedelta(days=1))
            text = out.reconciliation(ledger, start, end, today, output)
        elif period is None:
            text = out.monthly(ledger, now, output)
        else:
            text = out.broken_down(
                ledger, period[0], period[1], by, output, today, teams=teams or None,
                warn=lambda note: print(note, file=sys.stderr),
            )  # fmt: skip
    sys.stdout.write(text)
    return EXIT_OK


def _report_who(
    args: argparse.Namespace, who: str, period: tuple[dt.date, dt.date], output: str, today: dt.date
) -> int:
    """``report --by user|member|app``: the period's spend per one, from the analytics API."""
    from .._client import CreditsClient
    from ._who import who_report, who_spent_or_status

    if output == "focus" or args.reconcile:
        raise ConfigurationError(
            f"--by {who} comes from the analytics API, not the ledger: it has no --format focus or --reconcile; "
            "use --csv or --json."
        )
    start, end = period
    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        found = who_spent_or_status(client, args, who, start, end + dt.timedelta(days=1), None, command="report")
    if isinstance(found, int):
        return found
    sys.stdout.write(who_report(found, who, start, end, output, today))
    return EXIT_OK


def run_history(args: argparse.Namespace) -> int:
    from ..ledger import open_ledger
    from . import _ledger_output as out
    from ._common import unicode_terminal

    today = _now(args).date()
    with open_ledger(location_of(args), create=False) as ledger:
        text = out.history(ledger, today, args.days, args.json, unicode_terminal(sys.stdout))
    sys.stdout.write(text)
    return EXIT_OK


def view_location(args: argparse.Namespace) -> Location:
    """The ledger of the balance view, named as the ledger's commands name it: ``--ledger``, else the
    ``ledger`` of ``--config``, else $OPENROUTER_CREDITS_LEDGER, else the default file (``resolve``)."""
    from ..ledger import resolve

    value, origin = config_ledger(getattr(args, "config", None))
    return resolve(getattr(args, "view_ledger", None), value, origin)


def with_ledger(balance: Balance, location: Location | None = None) -> tuple[Balance, str | None]:
    """The view's balance, its forecast made from the ledger's longer history (its days before the 30
    of ``/activity``) when ``location`` (by default, the default one) holds a ledger; else as it is.
    Only ``/activity`` counts here (not ``/key``): without its days there is nothing to forecast. The
    default ledger is used when it exists; a ledger named (an option, a file, the environment) that
    cannot be read, or the default one when it cannot, leaves the 30 days with a note saying why."""
    from ..ledger import LedgerError, open_ledger, resolve
    from ..ledger._history import spend_history

    if not balance.daily_spend:
        return balance, None
    try:
        location = resolve(None) if location is None else location
        if not location.named and not location.exists():
            return balance, None
        with open_ledger(location, create=False) as ledger:
            history = spend_history(ledger, balance.at.date(), recent=balance.daily_spend)
    except (LedgerError, ConfigurationError) as error:
        return balance, f"note: the forecast rests on the 30 days of /activity: the ledger could not be read ({error})"
    return balance.reforecast(history), None
