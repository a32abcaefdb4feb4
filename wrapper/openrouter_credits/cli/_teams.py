"""Teams on the command line: ``--config FILE`` gives ``keys``, ``spend`` and ``report`` the file's
``[teams.NAME]`` tables (only those are read: the file may hold only teams, or be serve's whole file);
the one rule is ``_apps.teams.team_of``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .._exceptions import ConfigurationError

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._apps.teams import Assignment, Teams
    from .._listing import KeyListing

__all__ = ["CONFIG_HELP", "add_config", "assigned", "chosen_team", "needs_teams", "teams_of"]

CONFIG_HELP = "a TOML file whose [teams.NAME] tables group the keys into teams (only those are read)"


def add_config(p: argparse.ArgumentParser, help_text: str = CONFIG_HELP) -> None:
    p.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help=help_text)


def teams_of(args: argparse.Namespace) -> Teams:
    """The teams of ``--config`` (none without it)."""
    from .._apps.teams import Teams

    path = getattr(args, "config", None)
    if path is None:
        return Teams()
    from .._apps.config_file import teams_setting

    return teams_setting(path)


def needs_teams(teams: Teams, what: str) -> None:
    """A usage error when ``what`` (``--by team``, ``--team``) is asked without teams."""
    if not teams:
        where = f"the file {teams.path}" if teams.path else "a file given with --config FILE"
        raise ConfigurationError(
            f"{what} needs teams: add [teams.NAME] tables (keys = [...], workspaces = [...]) to {where}."
        )


def assigned(listing: KeyListing | Sequence[ApiKey], teams: Teams) -> Assignment:
    """Every listed key's team, after a warning on stderr for each workspace a team names that the
    account does not have; a key two teams claim is a usage error (``TeamConflict``) naming both."""
    from .._apps.teams import assign, unmatched_workspaces

    workspaces = getattr(listing, "workspaces", None)
    if workspaces is not None:
        for warning in unmatched_workspaces(teams, workspaces):
            print(f"warning: {warning}", file=sys.stderr)
    found = assign(listing, teams)
    found.check()
    return found


def chosen_team(teams: Teams, name: str) -> str:
    """``--team NAME``: a team of the file, or ``unassigned``; a usage error naming the teams otherwise."""
    from .._apps.teams import UNASSIGNED, UNKNOWN

    needs_teams(teams, "--team")
    known: Iterable[str] = (*teams.names, UNASSIGNED, UNKNOWN)
    if name not in known:
        raise ConfigurationError(f"--team: {name[:64]!r} is not a team; the teams are {', '.join(known)}.")
    return name
