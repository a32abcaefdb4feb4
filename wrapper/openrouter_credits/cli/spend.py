"""``openrouter-credits spend``: the last 30 completed UTC days of the account's spend as a chart."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .._client import CreditsClient
from .._exceptions import OpenRouterCreditsError
from ._common import EXIT_OK, add_common, client_options, exit_code, report, the_key, unicode_terminal


def register(commands: Any) -> None:
    spend = commands.add_parser(
        "spend",
        help="the last 30 completed UTC days of spend as a bar chart (a management key)",
        description="The last 30 completed UTC days of the account's spend, one bar a day, with the total "
        "and the daily average. Plain ASCII when standard output is not a UTF-8 terminal.",
        allow_abbrev=False,
    )
    spend.add_argument("--json", action="store_true", help="print the days as JSON: [{date, usage}, ...]")
    add_common(spend, config=False)
    spend.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ._render import spend_chart

    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        try:
            activity = client.get_activity()
        except OpenRouterCreditsError as error:
            report(error, args, sys.stderr)
            return exit_code(error)
    if args.json:
        print(json.dumps([{"date": day.date.isoformat(), "usage": day.usage} for day in activity.daily_spend]))
    else:
        print(spend_chart(activity.daily_spend, unicode=unicode_terminal(sys.stdout)))
    return EXIT_OK
