"""Teams: which team a key belongs to, from the ``[teams.NAME]`` tables of the config file.

    [teams.platform]
    keys = ["ci-*", "deploy-*"]        # name globs, labels (sk-or-v1-abc...wxyz) or hash prefixes (8+ hex digits)
    workspaces = ["Production"]        # names or ids: every key of the workspace

    [teams.research]
    workspaces = ["Research"]

**One rule** (``team_of``), a pure function of a key and the teams, that every surface uses (``keys``,
``spend --by team``, ``report --by team``, the exporter, the page): a team claims a key that one of
its ``keys`` patterns or ``workspaces`` matches; a key that no team claims is ``unassigned``; a key
that two teams claim is a configuration error naming both (``TeamConflict``). What is not known of a
key (the ledger's analytics rows name a key only by its name; a listing that could not read the
workspaces has no workspace names) can make its team unknown (``UNKNOWN``), never a guess.

Parsing (``parse_teams``) checks the tables: unknown settings, an empty team, a glob that is not one,
two teams naming the same pattern or workspace are ``ConfigurationError`` s naming the table and the
setting. A workspace name that no workspace of the account has is a warning (``unmatched_workspaces``):
workspaces can be created later.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from .._exceptions import ConfigurationError
from .._money import exact_sum
from .._text import shown

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._workspaces import Workspace

__all__ = [
    "UNASSIGNED",
    "UNKNOWN",
    "Assignment",
    "KeyRef",
    "Team",
    "TeamConflict",
    "TeamSpend",
    "Teams",
    "assign",
    "key_patterns",
    "key_ref",
    "parse_teams",
    "team_of",
    "team_spend",
    "unmatched_workspaces",
]

#: The team of the keys no team claims (a name no team may take).
UNASSIGNED = "unassigned"
#: The team of a key whose team cannot be told from what is known of it (a ledger row that names the
#: key only by a name two keys share, say).
UNKNOWN = "(unknown)"
SETTINGS = ("keys", "workspaces")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
#: A ``keys`` pattern of this many hex digits or more is also a hash prefix.
HASH_PREFIX_DIGITS = 8
_HEX = re.compile(r"[0-9a-f]+")
MAX_PATTERN = 256


class KeyRef(NamedTuple):
    """What is known of a key, for ``team_of``: None where not known (a ledger's analytics row knows
    a key only by its name; a listing without workspaces knows no workspace's name)."""

    name: str | None
    label: str | None = None
    hash: str | None = None
    workspace_id: str | None = None
    workspace_name: str | None = None

    def describe(self) -> str:
        """The key as a message names it: its name (printable, shortened) and its label."""
        name = shown(self.name) if self.name is not None else "(unnamed)"
        return f"{name} ({shown(self.label)})" if self.label else name


def key_ref(key: ApiKey) -> KeyRef:
    """A listed key as ``team_of`` reads it (its workspace's id in its canonical form, as
    ``_api_key.workspace_of`` gives it: the same few ids over thousands of keys, read once each)."""
    found = getattr(key, "workspace_id", None)
    workspace = None
    if isinstance(found, uuid.UUID):
        workspace = str(found)
    elif isinstance(found, str):
        workspace = _canonical(found) or found
    return KeyRef(key.name, key.label, key.hash_, workspace, key.workspace_name)


@functools.lru_cache(maxsize=1024)
def _canonical(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


@attrs.frozen
class Team:
    """One ``[teams.NAME]`` table: its name, its key patterns and its workspaces (names or ids)."""

    name: str
    keys: tuple[str, ...] = ()
    workspaces: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return f"[teams.{self.name}]"

    def claims(self, key: KeyRef) -> bool | None:
        """Whether this team claims ``key``: True, False, or None when what is known of the key cannot
        tell (a pattern or a workspace that needs what is not known, and none that matches)."""
        maybe = False
        for pattern in self.keys:
            found = _pattern_matches(pattern, key)
            if found:
                return True
            maybe = maybe or found is None
        for workspace in self.workspaces:
            found = _workspace_matches(workspace, key)
            if found:
                return True
            maybe = maybe or found is None
        return None if maybe else False


def _pattern_matches(pattern: str, key: KeyRef) -> bool | None:
    unknown = False
    if key.name is not None:
        if fnmatch.fnmatchcase(key.name, pattern):
            return True
    else:
        unknown = True
    if key.label is not None:
        if pattern == key.label:
            return True
    elif "..." in pattern:  # a label, and the label is not known
        unknown = True
    if _hash_prefix(pattern):
        if key.hash is None:
            unknown = True
        elif key.hash.lower().startswith(pattern):
            return True
    return None if unknown else False


@functools.lru_cache(maxsize=1024)
def _hash_prefix(pattern: str) -> bool:
    return len(pattern) >= HASH_PREFIX_DIGITS and _HEX.fullmatch(pattern) is not None


def _workspace_matches(workspace: str, key: KeyRef) -> bool | None:
    wanted = _canonical(workspace)
    if wanted is not None:
        return None if key.workspace_id is None else key.workspace_id == wanted
    if key.workspace_name is None:
        return None
    return key.workspace_name.casefold() == workspace.casefold()


class TeamConflict(ConfigurationError):
    """Two teams claim one key: a configuration error naming both and the key."""

    def __init__(self, where: str, first: Team, second: Team, key: KeyRef) -> None:
        self.teams = (first.name, second.name)
        self.key = key
        super().__init__(
            f"{where}{first.table} and {second.table} both claim the key {key.describe()}: a key belongs to one "
            "team; narrow the keys or workspaces of one of them."
        )


@attrs.frozen
class Teams:
    """The teams of a config file, in its order (``path`` names the file in messages); empty when
    the file has none."""

    teams: tuple[Team, ...] = ()
    path: str = ""

    def __bool__(self) -> bool:
        return bool(self.teams)

    def __iter__(self) -> Iterator[Team]:
        return iter(self.teams)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(team.name for team in self.teams)

    @property
    def where(self) -> str:
        return f"--config {self.path}: " if self.path else ""


def team_of(key: KeyRef, teams: Teams) -> str:
    """The one rule: the name of the team that claims ``key``; ``UNASSIGNED`` when no team does;
    ``UNKNOWN`` when none is sure to and one may (what is known of the key cannot tell). Raises
    ``TeamConflict`` when two teams claim it."""
    claimed: Team | None = None
    maybe = False
    for team in teams.teams:
        found = team.claims(key)
        if found:
            if claimed is not None:
                raise TeamConflict(teams.where, claimed, team, key)
            claimed = team
        elif found is None:
            maybe = True
    if claimed is not None:
        return claimed.name
    return UNKNOWN if maybe else UNASSIGNED


@attrs.frozen
class Assignment:
    """Each listed key's team (by hash; None for a key two teams claim) and the conflicts found."""

    by_hash: Mapping[str, str | None]
    conflicts: tuple[TeamConflict, ...] = ()

    @property
    def disputed(self) -> frozenset[str]:
        """The teams that claim a key another team claims too: their spend cannot be told."""
        return frozenset(name for conflict in self.conflicts for name in conflict.teams)

    def check(self) -> None:
        """Raise the first conflict (the command line stops at one: a usage error)."""
        if self.conflicts:
            raise self.conflicts[0]


def assign(keys: Iterable[ApiKey], teams: Teams) -> Assignment:
    """Every key's team; a key two teams claim gets None and its conflict is kept (the exporter goes
    on with the other keys; the command line raises it: ``Assignment.check``)."""
    by_hash: dict[str, str | None] = {}
    conflicts: list[TeamConflict] = []
    for key in keys:
        try:
            by_hash[key.hash_] = team_of(key_ref(key), teams)
        except TeamConflict as conflict:
            by_hash[key.hash_] = None
            conflicts.append(conflict)
    return Assignment(by_hash, tuple(conflicts))


class TeamSpend(NamedTuple):
    """A team's spend, from its listed keys' usage: today, this week (from Monday) and this month
    (UTC, OpenRouter's windows); how many keys it has."""

    team: str
    day: float
    week: float
    month: float
    keys: int


def team_spend(keys: Sequence[ApiKey], teams: Teams, assignment: Assignment) -> list[TeamSpend]:
    """Each team's spend (every configured team, $0 when it has no key; ``unassigned`` and
    ``UNKNOWN`` when a key is so), the most spent this month first, ties by name. A team that claims
    a key another team claims too is left out: its spend cannot be told."""
    grouped: dict[str, list[ApiKey]] = {team.name: [] for team in teams}
    grouped[UNASSIGNED] = []
    for key in keys:
        team = assignment.by_hash.get(key.hash_)
        if team is not None:
            grouped.setdefault(team, []).append(key)
    disputed = assignment.disputed
    spends = [
        TeamSpend(
            team,
            exact_sum(k.usage_daily for k in members),
            exact_sum(k.usage_weekly for k in members),
            exact_sum(k.usage_monthly for k in members),
            len(members),
        )
        for team, members in grouped.items()
        if team not in disputed
    ]
    return sorted(spends, key=lambda spend: (-spend.month, spend.team))


def unmatched_workspaces(teams: Teams, workspaces: Iterable[Workspace]) -> list[str]:
    """A warning for each workspace a team names that no workspace of the account has (by id, name or
    slug): it claims no key, for now (workspaces can be created later)."""
    known: set[str] = set()
    for workspace in workspaces:
        known |= {str(workspace.id), workspace.name.casefold()}
        slug = getattr(workspace, "slug", None)
        if isinstance(slug, str):
            known.add(slug.casefold())
    warnings = []
    for team in teams:
        for name in team.workspaces:
            if (_canonical(name) or name.casefold()) not in known:
                warnings.append(
                    f"{teams.where}{team.table}: workspaces names {name!r}, which no workspace of the account has "
                    "(by name or id): it claims no key until one does."
                )
    return warnings


# --- reading the tables ----------------------------------------------------------------------------


def _glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a glob (None when it is): an unclosed or empty ``[...]`` set."""
    index = 0
    while index < len(pattern):
        if pattern[index] == "[":
            end = index + 1
            if end < len(pattern) and pattern[end] == "!":
                end += 1
            if end < len(pattern) and pattern[end] == "]":
                end += 1  # a ']' first in a set is one of its characters
            close = pattern.find("]", end)
            if close < 0:
                return "a '[' opens a set of characters that a ']' must close, such as ci-[0-9]*"
            index = close
        index += 1
    return None


def _strings(value: Any, setting: str, where: str, example: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigurationError(f"{where}: {setting} must be a list of strings, such as {setting} = {example}.")
    items = tuple(item.strip() for item in value)
    for item in items:
        if not item:
            raise ConfigurationError(f"{where}: {setting} holds an empty string: remove it.")
        if len(item) > MAX_PATTERN or not item.isprintable():
            raise ConfigurationError(
                f"{where}: {setting}: {shown(item, 40)!r} is not a name: printable text of at most {MAX_PATTERN} "
                "characters."
            )
    return items


def key_patterns(table: Mapping[str, Any], where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``keys`` and ``workspaces`` of a table that names keys as a team does (a guard's too),
    checked as a team's are: lists of printable strings, each glob a glob, none twice. Either may be
    empty."""
    keys = _strings(table.get("keys"), "keys", where, '["ci-*"]')
    workspaces = _strings(table.get("workspaces"), "workspaces", where, '["Production"]')
    for pattern in keys:
        problem = _glob_problem(pattern)
        if problem is not None:
            raise ConfigurationError(f"{where}: keys: {pattern!r} is not a glob: {problem}.")
    for setting, items in (("keys", keys), ("workspaces", workspaces)):
        if len(set(items)) != len(items):
            raise ConfigurationError(f"{where}: {setting} names one twice: {', '.join(map(repr, items))}.")
    return keys, workspaces


def _team(name: str, table: Any, where: str) -> Team:
    if not NAME.fullmatch(name):
        raise ConfigurationError(
            f"{where}: a team's name is letters, digits, '.', '_' or '-' (up to 63), starting with a letter or digit."
        )
    if name == UNASSIGNED:
        raise ConfigurationError(
            f"{where}: {UNASSIGNED} is the team of the keys no team claims: name the team otherwise."
        )
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: expected a table of settings (keys, workspaces), not a value.")
    unknown = [setting for setting in table if setting not in SETTINGS]
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown setting {shown(unknown[0], 40)!r}; the settings are keys (name globs, labels or hash "
            "prefixes) and workspaces (names or ids)."
        )
    keys, workspaces = key_patterns(table, where)
    if not keys and not workspaces:
        raise ConfigurationError(
            f"{where}: an empty team: give keys (name globs, labels or hash prefixes) or workspaces (names or ids)."
        )
    return Team(name, keys, workspaces)


def parse_teams(value: Any, path: str) -> Teams:
    """The ``teams`` table of the file at ``path`` (None: no teams); every mistake a
    ``ConfigurationError`` naming the file, the table and the setting."""
    if value is None:
        return Teams((), path)
    if not isinstance(value, dict) or not all(isinstance(table, dict) for table in value.values()):
        raise ConfigurationError(f"--config {path}: teams holds [teams.NAME] tables, one per team.")
    teams = tuple(_team(name, table, f"--config {path}: [teams.{name}]") for name, table in value.items())
    _check_overlaps(teams, path)
    return Teams(teams, path)


def _check_overlaps(teams: Sequence[Team], path: str) -> None:
    """Two teams that name the same pattern or the same workspace would claim the same keys."""
    seen: dict[tuple[str, str], Team] = {}
    for team in teams:
        names = [("keys", pattern) for pattern in team.keys]
        names += [("workspaces", _canonical(w) or w.casefold()) for w in team.workspaces]
        for setting, value in names:
            other = seen.setdefault((setting, value), team)
            if other is not team:
                raise ConfigurationError(
                    f"--config {path}: [teams.{other.name}] and [teams.{team.name}] both name {value!r} in their "
                    f"{setting}: a key belongs to one team; keep it in one of them."
                )
