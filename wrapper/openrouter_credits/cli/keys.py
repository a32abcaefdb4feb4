"""``openrouter-credits keys``: every key of the account (a management key), the most spent this month
first, with its limit's window, what is left, its pace and its status; ``--status`` for cron."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import _defaults
from .._client import CreditsClient
from .._exceptions import AuthenticationError, OpenRouterCreditsError, PermissionDeniedError
from .._text import shown
from ._common import EXIT_AUTH, EXIT_BELOW, EXIT_OK, add_common, client_options, exit_code, report, the_key

if TYPE_CHECKING:
    from .._api_key import ApiKey

__all__ = ["key_json", "keys_table", "register", "run", "sorted_keys"]

NEEDS_MANAGEMENT = "listing keys needs a management key"
_PERIOD = {"daily": "/day", "weekly": "/week", "monthly": "/month"}


def _statuses(text: str) -> list[str]:
    from .._api_key import STATUSES

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in STATUSES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"{(unknown or [text])[0]!r} is not a status; the statuses are {', '.join(STATUSES)}"
        )
    return names


def register(commands: Any) -> None:
    keys = commands.add_parser(
        "keys",
        help="every key of the account, the most spent this month first (a management key)",
        description="Every key of the account (GET /keys, all pages), the most spent this month first: its "
        "limit and window, what it used in the window and has left, when the window resets, its spend today, "
        "this week and this month, and its status (disabled, expired, exhausted, will_exhaust, near_limit, "
        "expires_soon, dormant or ok). No key's secret is ever shown: the listing does not carry them.",
        allow_abbrev=False,
    )
    output = keys.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_const", const="json", dest="keys_format", help="print JSON")
    output.add_argument(
        "--format", choices=("table", "json", "prometheus"), dest="keys_format", help="output format (default: table)"
    )
    keys.add_argument("--include-disabled", action="store_true", help="list disabled keys too")
    keys.add_argument("--workspace", metavar="ID", help="only the keys of the workspace ID (a UUID)")
    keys.add_argument(
        "--status",
        type=_statuses,
        metavar="STATUS,...",
        help="list only the keys in one of these statuses, and exit 1 when there is any (for cron)",
    )
    add_common(keys, config=False)
    keys.set_defaults(run=run)


def sorted_keys(keys: Sequence[ApiKey]) -> list[ApiKey]:
    """The most spent this month first; ties by name, then hash."""
    return sorted(keys, key=lambda key: (-key.usage_monthly, key.name, key.hash_))


def _limit(key: ApiKey) -> str:
    from .._format import money

    if key.limit is None:
        return "none"
    if key.limit_reset is None:
        return f"{money(key.limit)} total"
    return money(key.limit) + _PERIOD.get(key.limit_reset.strip().lower(), f" {shown(key.limit_reset)}")


def keys_table(keys: Sequence[ApiKey], now: dt.datetime) -> str:
    """One row per key: name, label, limit and window, used in the window, left, resets in, today,
    this week, this month, status (``-`` where a key has no such thing; ``unknown`` where not said).
    Names and labels are OpenRouter's text: shortened, their control characters as escapes."""
    from .._format import money
    from ._output import duration

    def amount(value: float | None, none: str = "-") -> str:
        return none if value is None else money(value)

    header = ("Name", "Label", "Limit", "Used", "Left", "Resets in", "Today", "Week", "Month", "Status")
    table = [header]
    for key in keys:
        reset = key.resets_at(now)
        limited = key.limit is not None
        table.append(
            (
                shown(key.name),
                shown(key.label),
                _limit(key),
                amount(key.window_usage, "unknown" if limited else "-"),
                amount(key.limit_left, "unknown" if limited else "-"),
                "-" if reset is None else duration(reset - now),
                money(key.usage_daily),
                money(key.usage_weekly),
                money(key.usage_monthly),
                key.status(now),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    left_aligned = {0, 1, 9}
    lines = []
    for row in table:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [cell.ljust(width) if i in left_aligned else cell.rjust(width) for i, (cell, width) in pairs]
        lines.append("  ".join(cells).rstrip())
    count = len(keys)
    lines.append(f"{count} key{'s' if count != 1 else ''}")
    return "\n".join(lines)


def key_json(key: ApiKey, now: dt.datetime) -> dict[str, Any]:
    """One key as ``--json`` prints it (``null`` where unknown or not applicable)."""
    from ._output import rfc3339

    return {
        "name": key.name,
        "label": key.label,
        "hash": key.hash_,
        "disabled": key.disabled,
        "limit": key.limit,
        "limit_remaining": key.limit_left,
        "limit_reset": key.limit_reset,
        "resets_at": rfc3339(key.resets_at(now)),
        "usage": key.usage,
        "usage_daily": key.usage_daily,
        "usage_weekly": key.usage_weekly,
        "usage_monthly": key.usage_monthly,
        "byok_usage": key.byok_usage,
        "expires_at": rfc3339(key.expires),
        "workspace_id": key.workspace_id,
        "last_used_at": rfc3339(key.last_used_at),
        "window_usage": key.window_usage,
        "pace_per_day": key.pace_per_day(now),
        "projected_at_reset": key.projected_at_reset(now),
        "exhausts_at": rfc3339(key.exhausts_at(now)),
        "status": key.status(now),
    }


def run(args: argparse.Namespace) -> int:
    from .._apps.metrics import account_key_metrics, exposition

    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        try:
            listed = client.list_keys(include_disabled=args.include_disabled, workspace_id=args.workspace)
        except (AuthenticationError, PermissionDeniedError) as error:
            if args.debug:
                report(error, args, sys.stderr)
            refused = f"HTTP {error.status_code}: {error.message}" if error.message else f"HTTP {error.status_code}"
            print(
                f"error: {NEEDS_MANAGEMENT}; this key was refused ({refused}). Create one at "
                f"{_defaults.MANAGEMENT_KEYS_URL}.",
                file=sys.stderr,
            )
            return EXIT_AUTH
        except OpenRouterCreditsError as error:
            report(error, args, sys.stderr)
            return exit_code(error)
        now = client._now()
    keys = sorted_keys(listed)
    if args.status is not None:
        keys = [key for key in keys if key.status(now) in args.status]
    form = args.keys_format or "table"
    if form == "json":
        print(json.dumps([key_json(key, now) for key in keys]))
    elif form == "prometheus":
        print(exposition(account_key_metrics(keys, now, {})), end="")
    else:
        print(keys_table(keys, now))
    if args.status is not None and keys:
        return EXIT_BELOW
    return EXIT_OK
