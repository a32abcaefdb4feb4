"""``openrouter-credits spend``: the last 30 completed UTC days of the account's spend as a chart;
``--by`` model, provider or workspace (``/activity``), team (the listed keys' usage grouped by the
``[teams.NAME]`` of ``--config``), or user, member or app (the analytics API, ``_who``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from .._activity import Spend
from .._client import CreditsClient
from .._exceptions import OpenRouterCreditsError
from .._text import printable
from ._common import (
    EXIT_OK,
    add_common,
    argument,
    client_options,
    exit_code,
    report,
    the_key,
    unicode_terminal,
)
from ._teams import add_config

if TYPE_CHECKING:
    from .._apps.teams import TeamSpend

#: spend --by shows this many models (or providers), then the rest as one "other".
TOP = 10
positive_int = argument(int, lambda v: v >= 1, "a whole number, 1 or more")
BY = ("model", "provider", "workspace", "team", "user", "member", "app")


def register(commands: Any) -> None:
    spend = commands.add_parser(
        "spend",
        help="the last 30 completed UTC days of spend as a bar chart (a management key)",
        description="The last 30 completed UTC days of the account's spend, one bar a day, with the total "
        "and the daily average. Plain ASCII when standard output is not a UTF-8 terminal.",
        allow_abbrev=False,
    )
    spend.add_argument(
        "--json",
        action="store_true",
        help="print the days as JSON: [{date, usage}, ...]; with --by, [{model (provider, workspace, user, member "
        "or app), usage, usage_7d, requests, share}, ...]; --by team: [{team, usage_monthly, usage_weekly, "
        "usage_daily, keys, share}, ...]",
    )
    spend.add_argument(
        "--by",
        choices=BY,
        help="the 30 days' spend per model, provider or workspace (GET /activity), or per end user (what requests "
        "send in user), member or app (the analytics API), the most spent first, the last 7 days beside it; team: "
        "this month's, this week's and today's usage of the listed keys per team of --config",
    )
    spend.add_argument(
        "--top",
        type=positive_int,
        default=TOP,
        metavar="N",
        help=f"with --by: the N most spent, then other (default {TOP})",
    )
    add_common(spend, config=False)
    add_config(spend)
    spend.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ._output import spend_chart

    if args.by == "team":
        return _by_team(args)
    if args.by in ("user", "member", "app"):
        return _by_who(args)
    names: dict[str, str] | None = None
    unnamed = ""
    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        try:
            activity = client.get_activity(group_by="workspace" if args.by == "workspace" else None)
            if args.by == "workspace":
                names, unnamed = workspace_names(client)
        except OpenRouterCreditsError as error:
            report(error, args, sys.stderr)
            return exit_code(error)
    if args.by is not None:
        from ._output import share_chart, share_json

        if args.by == "workspace":
            spends = named_spends(activity.by_workspace(), names or {})
        else:
            spends = activity.by_model() if args.by == "model" else activity.by_provider()
        if args.json:
            shares = share_json(spends, args.by)
            if args.by == "workspace":
                ids = [spend.name for spend in activity.by_workspace()]
                shares = [{**share, "workspace_id": wid} for share, wid in zip(shares, ids, strict=True)]
            print(json.dumps(shares))
        else:
            print(share_chart(spends, args.top, args.by, unicode=unicode_terminal(sys.stdout)))
        if args.by == "workspace" and names is None:
            print(f"note: workspaces are shown by id: their names could not be read: {unnamed}.", file=sys.stderr)
    elif args.json:
        print(json.dumps([{"date": day.date.isoformat(), "usage": day.usage} for day in activity.daily_spend]))
    else:
        print(spend_chart(activity.daily_spend, unicode=unicode_terminal(sys.stdout)))
    return EXIT_OK


def workspace_names(client: CreditsClient) -> tuple[dict[str, str] | None, str]:
    """(``{id: name}`` of the account's workspaces, ""); (None, why) when they cannot be listed
    (refused: ``GET /workspaces was refused (HTTP 403: ...)``, or not in the API document in use), as
    the keys listing's note says it: the chart then shows their ids."""
    from .._listing import workspace_refusal

    try:
        return {str(w.id): w.name for w in client.list_workspaces()}, ""
    except OpenRouterCreditsError as error:
        why = workspace_refusal(error)
        if why is None:
            raise
        return None, printable(why)


def named_spends(spends: list[Spend], names: dict[str, str]) -> list[Spend]:
    """Each workspace's spend under its name (its id when the name is unknown; with the start of its
    id when another workspace of the account has the same name: names may repeat), in the same order.
    The chart shows names as it shows any (``share_chart``)."""
    named = [names.get(spend.name, spend.name) for spend in spends]
    taken = {name for name in named if named.count(name) > 1}
    return [
        spend._replace(name=name if name not in taken else f"{name} ({spend.name[:8]})")
        for spend, name in zip(spends, named, strict=True)
    ]


def _by_team(args: argparse.Namespace) -> int:
    """``--by team``: every key of the account (as ``keys`` lists them), its usage this month, this
    week and today summed per team (``_apps.teams``; ``unassigned``: the keys no team claims)."""
    from .._apps.teams import team_spend
    from ._teams import assigned, needs_teams, teams_of
    from .keys import listing_note

    teams = teams_of(args)
    needs_teams(teams, "--by team")
    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        try:
            listed = client.list_keys(include_disabled=True)
        except OpenRouterCreditsError as error:
            report(error, args, sys.stderr)
            return exit_code(error)
    spends = team_spend(listed, teams, assigned(listed, teams))
    if args.json:
        print(json.dumps(team_json(spends)))
    else:
        print(team_chart(spends, len(listed), unicode=unicode_terminal(sys.stdout)))
    note = listing_note(listed)
    if note is not None:
        print(note, file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def team_json(spends: list[TeamSpend]) -> list[dict[str, Any]]:
    """``--by team --json``: each team, the most spent this month first, with its share of the month."""
    from .._money import exact_sum

    total = exact_sum(spend.month for spend in spends)
    return [
        {
            "team": spend.team,
            "usage_monthly": spend.month,
            "usage_weekly": spend.week,
            "usage_daily": spend.day,
            "keys": spend.keys,
            "share": None if total <= 0 else spend.month / total,
        }
        for spend in spends
    ]


def team_chart(spends: list[TeamSpend], keys: int, *, unicode: bool) -> str:
    """A row per team (the most spent this month first): this month, its share, this week, today, a
    bar; then the totals and what they count."""
    from .._format import money
    from .._money import exact_sum
    from ._output import _bar

    total = exact_sum(spend.month for spend in spends)
    largest = max((spend.month for spend in spends), default=0.0)
    cells = [("Team", "Month", "Share", "Week", "Today")]
    for spend in spends:
        share = "-" if total <= 0 else f"{spend.month / total:.1%}"
        cells.append((spend.team, money(spend.month), share, money(spend.week), money(spend.day)))
    widths = [max(len(row[i]) for row in cells) for i in range(5)]
    lines = []
    for index, row in enumerate(cells):
        right = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        text = "  ".join([row[0].ljust(widths[0]), *right])
        bar = "" if index == 0 else _bar(spends[index - 1].month, largest, unicode)
        lines.append(f"{text}  {bar}".rstrip())
    week = exact_sum(spend.week for spend in spends)
    today = exact_sum(spend.day for spend in spends)
    lines.append(
        f"Total {money(total)} this month, {money(week)} this week, {money(today)} today (UTC), by the {keys} "
        f"key{'s' if keys != 1 else ''} listed now"
    )
    return "\n".join(lines)


def _by_who(args: argparse.Namespace) -> int:
    """``--by user|member|app``: the analytics API's 30 completed days and the last 7, per one."""
    import datetime as dt

    from .._activity import completed_days
    from ._output import share_chart
    from ._who import who_json, who_spent_or_status

    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        days = completed_days(client._today())
        end = days[-1] + dt.timedelta(days=1)
        found = who_spent_or_status(client, args, args.by, days[0], end, days[-7], command="spend")
    if isinstance(found, int):
        return found
    if args.json:
        print(json.dumps(who_json(found, args.by, recent=True)))
    else:
        print(share_chart(found.spends, args.top, args.by, unicode=unicode_terminal(sys.stdout)))
    if found.truncated:
        print(
            "note: the analytics API listed part of them (its limit is 10,000 rows): the rest are one line, "
            '"(not listed)".',
            file=sys.stderr,
        )
    return EXIT_OK
