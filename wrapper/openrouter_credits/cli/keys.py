"""``openrouter-credits keys``: every key of the account (a management key), every workspace's, the
most spent this month first, with its limit's window, what is left, its pace and its status;
``--workspace`` for one workspace's, ``--status`` for cron."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import _defaults
from .._client import CreditsClient
from .._exceptions import AuthenticationError, ConfigurationError, OpenRouterCreditsError, PermissionDeniedError
from .._text import shown
from . import key_changes
from ._common import EXIT_AUTH, EXIT_BELOW, EXIT_OK, add_common, client_options, exit_code, report, the_key
from ._teams import CONFIG_HELP, add_config

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._listing import KeyListing

__all__ = ["chosen_workspace", "key_json", "keys_table", "listing_note", "register", "run", "sorted_keys"]

NEEDS_MANAGEMENT = "listing keys needs a management key"


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
        description="Every key of the account, every workspace's (GET /workspaces, then GET /keys of each, all "
        "pages), the most spent this month first: its limit and window, what it used in the window and has left, "
        "when the window resets, its spend today, this week and this month, and its status (disabled, expired, "
        "exhausted, will_exhaust, near_limit, expires_soon, dormant or ok). When the workspaces cannot be listed, "
        "the default workspace's keys, saying so. No key's secret is ever shown: the listing does not carry them.",
        allow_abbrev=False,
    )
    output = keys.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_const", const="json", dest="keys_format", help="print JSON")
    output.add_argument(
        "--format", choices=("table", "json", "prometheus"), dest="keys_format", help="output format (default: table)"
    )
    keys.add_argument("--include-disabled", action="store_true", help="list disabled keys too")
    keys.add_argument(
        "--workspace", metavar="ID|NAME", help="only the keys of one workspace: its id (a UUID) or its name"
    )
    keys.add_argument("--team", metavar="TEAM", help="only the keys of one team of --config (or unassigned)")
    keys.add_argument(
        "--status",
        type=_statuses,
        metavar="STATUS,...",
        help="list only the keys in one of these statuses, and exit 1 when there is any (for cron)",
    )
    add_common(keys, config=False)
    add_config(keys, CONFIG_HELP + ": a Team column")
    keys.set_defaults(run=run)
    key_changes.register(keys)


def sorted_keys(keys: Sequence[ApiKey]) -> list[ApiKey]:
    """The most spent this month first; ties by name, then hash."""
    return sorted(keys, key=lambda key: (-key.usage_monthly, key.name, key.hash_))


def _limit(key: ApiKey) -> str:
    from .._format import limit_words

    return "none" if key.limit is None else limit_words(key.limit, key.limit_reset)


def keys_table(
    keys: Sequence[ApiKey], now: dt.datetime, *, workspaces: bool = False, teams: Mapping[str, str | None] | None = None
) -> str:
    """One row per key: name, its workspace (with ``workspaces``), its team (with ``teams``: each
    key's team by hash), label, limit and window, used in the window, left, resets in, today, this
    week, this month, status (``-`` where a key has no such thing; ``unknown`` where not said). Names
    and labels are OpenRouter's text: shortened, their control characters as escapes."""
    from .._api_key import workspace_of
    from .._format import money
    from ._output import duration

    def amount(value: float | None, none: str = "-") -> str:
        return none if value is None else money(value)

    header: tuple[str, ...] = (
        "Name",
        "Label",
        "Limit",
        "Used",
        "Left",
        "Resets in",
        "Today",
        "Week",
        "Month",
        "Status",
    )
    extra = ("Workspace",) * workspaces + ("Team",) * (teams is not None)
    header = (header[0], *extra, *header[1:])
    table = [header]
    for key in keys:
        reset = key.resets_at(now)
        limited = key.limit is not None
        where: tuple[str, ...] = (shown(key.workspace_name or workspace_of(key) or "-"),) if workspaces else ()
        if teams is not None:
            where += (teams.get(key.hash_) or "-",)
        table.append(
            (
                shown(key.name),
                *where,
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
    left_aligned = {*range(len(extra) + 2), len(header) - 1}
    lines = []
    for row in table:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [cell.ljust(width) if i in left_aligned else cell.rjust(width) for i, (cell, width) in pairs]
        lines.append("  ".join(cells).rstrip())
    count = len(keys)
    lines.append(f"{count} key{'s' if count != 1 else ''}")
    return "\n".join(lines)


def listing_note(listing: KeyListing) -> str | None:
    """The line that says a listing is only the default workspace's keys, and why (None when whole)."""
    if listing.complete:
        return None
    return (
        f"note: only the default workspace's keys are listed: {listing.workspaces_note}. "
        "Other workspaces' keys are not counted."
    )


def chosen_workspace(client: CreditsClient, text: str) -> str:
    """The id of the workspace ``--workspace`` names: a UUID as it is (``run`` checks that the account
    has it), else the one workspace of that name (or slug). A usage error (ConfigurationError) naming
    the option when none or several match, or when names cannot be looked up."""
    import uuid

    from .._listing import workspace_refusal

    try:
        return str(uuid.UUID(text))
    except ValueError:
        pass
    try:
        workspaces = client.list_workspaces()
    except OpenRouterCreditsError as error:
        reason = workspace_refusal(error)
        if reason is None:
            raise
        raise ConfigurationError(
            f"--workspace {text[:64]!r} is not a workspace's id (a UUID), and names cannot be looked up: {reason}. "
            "Give the workspace's id."
        ) from None
    matches = (
        [w for w in workspaces if w.name == text]
        or [w for w in workspaces if w.slug == text]
        or [w for w in workspaces if w.name.casefold() == text.casefold()]
    )
    if len(matches) == 1:
        return str(matches[0].id)
    if not matches:
        names = ", ".join(repr(w.name) for w in workspaces[:10]) + (", ..." if len(workspaces) > 10 else "")
        raise ConfigurationError(
            f"--workspace: no workspace of the account is named {text[:64]!r}; its workspaces are {names}."
        )
    ids = ", ".join(str(w.id) for w in matches)
    raise ConfigurationError(f"--workspace: {len(matches)} workspaces are named {text[:64]!r}: give one's id ({ids}).")


def _check_chosen(listing: KeyListing, workspace: str | None) -> None:
    """A ``--workspace`` id the account does not have is a usage error (when its workspaces are known)."""
    if workspace is None or listing.workspaces is None:
        return
    if all(str(w.id) != workspace for w in listing.workspaces):
        raise ConfigurationError(f"--workspace: the account has no workspace with the id {workspace}.")


def key_json(
    key: ApiKey, now: dt.datetime, scope: tuple[str, str | None] | None = None, team: str | None = None
) -> dict[str, Any]:
    """One key as ``--json`` prints it (``null`` where unknown or not applicable); with the listing's
    ``scope``, whether it was every workspace's keys: ``workspaces`` (``all``, ``one`` or ``default
    only``) and ``workspaces_note`` (why only the default workspace's, else null); with ``team``
    (teams configured), its team."""
    from .._api_key import workspace_of
    from .._format import estimate_dollars
    from ._output import rfc3339

    out = {
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
        "workspace_id": workspace_of(key),
        "workspace_name": key.workspace_name,
        "last_used_at": rfc3339(key.last_used_at),
        "window_usage": key.window_usage,
        "pace_per_day": estimate_dollars(key.pace_per_day(now)),
        "projected_at_reset": estimate_dollars(key.projected_at_reset(now)),
        "exhausts_at": rfc3339(key.exhausts_at(now)),
        "status": key.status(now),
    }
    if scope is not None:
        out["workspaces"], out["workspaces_note"] = scope
    if team is not None:
        out["team"] = team
    return out


def _scope(listing: KeyListing, one: bool) -> tuple[str, str | None]:
    if one:
        return "one", None
    return ("all", None) if listing.complete else ("default only", listing.workspaces_note)


def run(args: argparse.Namespace) -> int:
    from .._apps.metrics import account_key_metrics, exposition, team_spend_metrics
    from .._apps.teams import team_spend
    from ._teams import assigned, chosen_team, teams_of

    teams = teams_of(args)
    team = None if args.team is None else chosen_team(teams, args.team)
    with CreditsClient(the_key(args), **client_options(args)) as client:  # type: ignore[arg-type]
        try:
            workspace = None if args.workspace is None else chosen_workspace(client, args.workspace)
            listed = client.list_keys(include_disabled=args.include_disabled, workspace_id=workspace)
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
        except ConfigurationError:
            raise
        except OpenRouterCreditsError as error:
            report(error, args, sys.stderr)
            return exit_code(error)
        now = client._now()
    _check_chosen(listed, workspace)
    assignment = assigned(listed, teams) if teams else None
    by_team = None if assignment is None else assignment.by_hash
    keys = sorted_keys(listed)
    if team is not None and by_team is not None:
        keys = [key for key in keys if by_team.get(key.hash_) == team]
    if args.status is not None:
        keys = [key for key in keys if key.status(now) in args.status]
    form = args.keys_format or "table"
    note = listing_note(listed)
    if form == "json":
        scope = _scope(listed, workspace is not None)
        teamed = {} if by_team is None else by_team
        print(json.dumps([key_json(key, now, scope, teamed.get(key.hash_)) for key in keys]))
    elif form == "prometheus":
        families = account_key_metrics(keys, now, {}, teams=by_team)
        if assignment is not None:
            families.append(team_spend_metrics(team_spend(listed, teams, assignment), {}))
        print(exposition(families), end="")
    else:
        several = workspace is None and len(listed.workspaces or ()) > 1
        print(keys_table(keys, now, workspaces=several, teams=by_team))
        if note is not None:
            print(note)
    if note is not None and form != "table":
        print(note, file=sys.stderr)
    if args.status is not None and keys:
        return EXIT_BELOW
    return EXIT_OK
