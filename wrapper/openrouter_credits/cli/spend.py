"""``openrouter-credits spend``: the last 30 completed UTC days of the account's spend as a chart."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

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
        help="print the days as JSON: [{date, usage}, ...]; with --by, [{model or provider, usage, usage_7d, "
        "requests, share}, ...]",
    )
    spend.add_argument(
        "--by",
        choices=("model", "provider"),
        help="the 30 days' spend per model (or provider), the most spent first, the last 7 days beside it",
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

    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        try:
            activity = client.get_activity()
        except OpenRouterCreditsError as error:
            report(error, args, sys.stderr)
            return exit_code(error)
    if args.by is not None:
        from ._output import share_chart, share_json

        spends = activity.by_model() if args.by == "model" else activity.by_provider()
        if args.json:
            print(json.dumps(share_json(spends, args.by)))
        else:
            print(share_chart(spends, args.top, args.by, unicode=unicode_terminal(sys.stdout)))
    elif args.json:
        print(json.dumps([{"date": day.date.isoformat(), "usage": day.usage} for day in activity.daily_spend]))
    else:
        print(spend_chart(activity.daily_spend, unicode=unicode_terminal(sys.stdout)))
    return EXIT_OK
