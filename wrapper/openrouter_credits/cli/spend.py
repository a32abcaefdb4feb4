"""``openrouter-credits spend``: the last 30 completed UTC days of the account's spend as a chart;
``--by`` model, provider or workspace."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .._activity import Spend
from .._client import CreditsClient
from .._exceptions import OpenRouterCreditsError
from ._common import EXIT_OK, add_common, argument, client_options, exit_code, report, the_key, unicode_terminal

#: spend --by shows this many models (or providers), then the rest as one "other".
TOP = 10
positive_int = argument(int, lambda v: v >= 1, "a whole number, 1 or more")


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
        help="print the days as JSON: [{date, usage}, ...]; with --by, [{model, provider or workspace, usage, "
        "usage_7d, requests, share}, ...]",
    )
    spend.add_argument(
        "--by",
        choices=("model", "provider", "workspace"),
        help="the 30 days' spend per model (or provider, or workspace), the most spent first, the last 7 days "
        "beside it",
    )
    spend.add_argument(
        "--top",
        type=positive_int,
        default=TOP,
        metavar="N",
        help=f"with --by: the N most spent, then other (default {TOP})",
    )
    add_common(spend, config=False)
    spend.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ._output import spend_chart

    names: dict[str, str] | None = None
    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        try:
            activity = client.get_activity(group_by="workspace" if args.by == "workspace" else None)
            if args.by == "workspace":
                names = workspace_names(client)
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
            print("note: workspaces are shown by id: their names could not be read.", file=sys.stderr)
    elif args.json:
        print(json.dumps([{"date": day.date.isoformat(), "usage": day.usage} for day in activity.daily_spend]))
    else:
        print(spend_chart(activity.daily_spend, unicode=unicode_terminal(sys.stdout)))
    return EXIT_OK


def workspace_names(client: CreditsClient) -> dict[str, str] | None:
    """``{id: name}`` of the account's workspaces; None when they cannot be listed (refused, or not in
    the API document in use): the chart then shows their ids."""
    from .._api_key import workspace_refusal

    try:
        return {str(w.id): w.name for w in client.list_workspaces()}
    except OpenRouterCreditsError as error:
        if workspace_refusal(error) is None:
            raise
        return None


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
