"""``[guard.NAME]`` tables of the ``--config`` file: what a guard of ``serve`` watches and what it does.

    [guard.runaway-ci]
    keys = ["ci-*", "agent-*"]          # name globs, labels, or hash prefixes (8 hex digits or more)
    workspaces = ["Research"]           # workspace names or ids: every key of the workspace too
    when = "spike"                      # or "will_exhaust", "over" (with amount), "below_fraction" (with fraction)
    factor = 5.0                        # spike: today's spend more than 5x the 7-day pace by this hour
    action = "disable"                  # or "limit": set the limit to what the window has used
    restore = "at_reset"                # undo at the window's reset (spike: 00:00 UTC); or "never"
    dry_run = true                      # the default: alert and log "would disable", change nothing
    max_actions_per_hour = 5

Every mistake is a ``ConfigurationError`` naming the file, the table and the setting: a guard that names
no keys, an unknown ``when`` or ``action``, a ``factor`` of 1 or less, ``over`` without ``amount``, a
selection that matches the key that polls (by its ``[keys.NAME]`` name, the label its key gives, or
its hash), no ``[keys.NAME]`` with ``discover = true`` to list the keys a guard acts on. A guard with
``restore = "at_reset"`` on a key whose limit never resets is refused when that key is first listed
(which keys a selection names is known only then): the exporter logs it and never acts on that key.

Pure: no I/O (the keys' secrets are already read by ``config_file``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from .._defaults import DEFAULT_GUARD_FRACTION as DEFAULT_FRACTION
from .._defaults import DEFAULT_MAX_ACTIONS_PER_HOUR, DEFAULT_SPIKE_MIN_DOLLARS
from .._exceptions import ConfigurationError
from .._format import money
from .._text import toml_value
from .teams import KeyRef, Team, key_patterns

if TYPE_CHECKING:
    from .config_file import KeySpec

__all__ = [
    "ACTIONS",
    "RESTORES",
    "WHENS",
    "GuardSpec",
    "guard_specs",
    "key_label_of",
    "names_key",
]

When = Literal["spike", "will_exhaust", "over", "below_fraction"]
Action = Literal["disable", "limit"]
Restore = Literal["at_reset", "never"]
WHENS: Final[tuple[When, ...]] = ("spike", "will_exhaust", "over", "below_fraction")
ACTIONS: Final[tuple[Action, ...]] = ("disable", "limit")
RESTORES: Final[tuple[Restore, ...]] = ("at_reset", "never")
FIELDS: Final = (
    "keys",
    "workspaces",
    "when",
    "factor",
    "spike_min_dollars",
    "amount",
    "fraction",
    "action",
    "restore",
    "dry_run",
    "max_actions_per_hour",
)


@attrs.frozen
class GuardSpec:
    """One ``[guard.NAME]``: the keys it names, as a ``[teams.NAME]`` table names them (``keys``: name
    globs, labels or hash prefixes; ``workspaces``: names or ids: ``names_key``), the condition
    (``when`` and its figure), the action, whether it undoes it at the window's reset, and whether it
    only says what it would do."""

    name: str
    keys: tuple[str, ...] = ()
    workspaces: tuple[str, ...] = ()
    when: When = "spike"
    factor: float | None = None
    spike_min_dollars: float = DEFAULT_SPIKE_MIN_DOLLARS
    amount: float | None = None
    fraction: float = DEFAULT_FRACTION
    action: Action = "disable"
    restore: Restore = "at_reset"
    dry_run: bool = True
    max_actions_per_hour: int = DEFAULT_MAX_ACTIONS_PER_HOUR

    @property
    def team(self) -> Team:
        """Its selection as a team's (``keys`` and ``workspaces``): the keys it names are the keys such a
        team claims (``names_key``)."""
        return Team(self.name, self.keys, self.workspaces)

    @property
    def mode(self) -> str:
        return "dry run" if self.dry_run else "acting"

    def rule(self) -> str:
        """``spending today over 5x its 7-day pace: disable, undone at the window's reset``: the guard in
        words, its condition from its own ``when``'s figure."""
        condition = _CONDITIONS[self.when](self)
        undo = "undone at the window's reset" if self.restore == "at_reset" else "never undone"
        return f"{condition}: {self.action}, {undo}"


#: Each ``when``'s condition in words, built from its own figure alone (the others are None).
_CONDITIONS: Final[dict[str, Callable[[GuardSpec], str]]] = {
    "spike": lambda spec: f"spending today over {spec.factor:g}x its 7-day pace",
    "will_exhaust": lambda spec: "bound to reach its limit before the reset",
    "over": lambda spec: f"its window's usage over {money(spec.amount or 0.0)}",
    "below_fraction": lambda spec: f"under {spec.fraction * 100:g} % of its limit left",
}


def names_key(spec: GuardSpec, key: KeyRef) -> bool:
    """Whether ``spec`` names ``key``: as a team claims a key (``teams.Team.claims``, the one rule of
    which keys a ``keys`` or ``workspaces`` pattern names); a key it cannot tell about is not named."""
    return spec.team.claims(key) is True


def key_label_of(secret: str) -> str | None:
    """The label OpenRouter gives a key (``sk-or-v1-abc...wxyz``: its first three characters after the
    prefix and its last four), None for a key too short to have one."""
    prefix = "sk-or-v1-"
    body = secret[len(prefix) :] if secret.startswith(prefix) else ""
    if len(body) < 8:
        return None
    return f"{prefix}{body[:3]}...{body[-4:]}"


def _where(path: str, name: str) -> str:
    return f"--config {path}: [guard.{name}]"


def _number(value: Any, field: str, where: str, *, low: float, above: bool, expected: str) -> float:
    bad = isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
    if bad or (value <= low if above else value < low):
        raise ConfigurationError(f"{where}: {field} must be {expected}, not {toml_value(value)}.")
    return float(value)


def _choice(value: Any, field: str, where: str, choices: Sequence[str]) -> Any:
    if value not in choices:
        raise ConfigurationError(f"{where}: {field} = {toml_value(value)} is not one of {', '.join(choices)}.")
    return value


def _spec(name: str, table: Any, path: str) -> GuardSpec:
    from .config_file import NAME

    where = _where(path, name)
    if not NAME.fullmatch(name):
        raise ConfigurationError(
            f"{where}: a guard's name is letters, digits, '.', '_' or '-' (up to 63), starting with a letter or digit."
        )
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: expected a table of settings, not {type(table).__name__}.")
    unknown = [field for field in table if field not in FIELDS]
    if unknown:
        raise ConfigurationError(f"{where}: unknown setting {unknown[0]!r}; the settings are {', '.join(FIELDS)}.")
    keys, workspaces = key_patterns(table, where)
    if not keys and not workspaces:
        raise ConfigurationError(
            f"{where}: names no keys: give keys = [...] (name globs or hash prefixes) or workspaces = [...]."
        )
    when = _choice(table.get("when"), "when", where, WHENS)
    action = _choice(table.get("action", "disable"), "action", where, ACTIONS)
    restore = _choice(table.get("restore", "at_reset"), "restore", where, RESTORES)
    for field, owner in (
        ("factor", "spike"),
        ("spike_min_dollars", "spike"),
        ("amount", "over"),
        ("fraction", "below_fraction"),
    ):
        if field in table and when != owner:
            raise ConfigurationError(f'{where}: {field} is a setting of when = "{owner}", not of when = "{when}".')
    factor = None
    if when == "spike":
        if "factor" not in table:
            raise ConfigurationError(f'{where}: when = "spike" needs factor (a multiple of the 7-day pace, such as 5).')
        factor = _number(table["factor"], "factor", where, low=1, above=True, expected="a multiple above 1 (such as 5)")
    amount = None
    if when == "over":
        if "amount" not in table:
            raise ConfigurationError(f'{where}: when = "over" needs amount (the dollars a key may use in its window).')
        amount = _number(
            table["amount"], "amount", where, low=0, above=False, expected="an amount of dollars, 0 or more"
        )
    fraction = DEFAULT_FRACTION
    if "fraction" in table:
        fraction = table["fraction"]
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1:
            raise ConfigurationError(
                f"{where}: fraction must be a fraction above 0, up to 1 (0.1 is 10 %), not {toml_value(fraction)}."
            )
        fraction = float(fraction)
    minimum = DEFAULT_SPIKE_MIN_DOLLARS
    if "spike_min_dollars" in table:
        minimum = _number(table["spike_min_dollars"], "spike_min_dollars", where, low=0, above=False,
                          expected="an amount of dollars, 0 or more")  # fmt: skip
    dry_run = table.get("dry_run", True)
    if not isinstance(dry_run, bool):
        raise ConfigurationError(f"{where}: dry_run must be true or false, not {toml_value(dry_run)}.")
    most = table.get("max_actions_per_hour", DEFAULT_MAX_ACTIONS_PER_HOUR)
    if isinstance(most, bool) or not isinstance(most, int) or most < 1:
        raise ConfigurationError(
            f"{where}: max_actions_per_hour must be a whole number, 1 or more, not {toml_value(most)}."
        )
    return GuardSpec(name, keys, workspaces, when, factor, minimum, amount, fraction, action, restore, dry_run, most)


def _polling_key_matched(spec: GuardSpec, key: KeySpec) -> str | None:
    """The pattern of ``spec.keys`` that names the polling ``key`` (by its table's name, the label its
    key gives, or its hash), or None."""
    secret = key.api_key or ""
    label = key_label_of(secret) if secret else None
    key_hash = hashlib.sha256(secret.encode()).hexdigest() if secret else None
    polling = KeyRef(key.name, label, key_hash)
    for pattern in spec.keys:
        if Team(spec.name, (pattern,)).claims(polling):
            return pattern
    return None


def guard_specs(tables: Mapping[str, Any], keys: Sequence[KeySpec], path: str) -> tuple[GuardSpec, ...]:
    """The ``[guard.NAME]`` tables of the file at ``path`` (its keys ``keys``, already read), checked."""
    if not isinstance(tables, dict) or not all(isinstance(table, dict) for table in tables.values()):
        raise ConfigurationError(f"--config {path}: guard holds [guard.NAME] tables, one per guard.")
    specs = tuple(_spec(name, table, path) for name, table in tables.items())
    discovering = [key for key in keys if key.discover]
    for spec in specs:
        if not discovering:
            raise ConfigurationError(
                f"{_where(path, spec.name)}: a guard acts on the keys a [keys.NAME] with discover = true lists, and "
                "no key of the file discovers: add discover = true to the management key that lists them."
            )
        for key in discovering:
            pattern = _polling_key_matched(spec, key)
            if pattern is not None:
                raise ConfigurationError(
                    f"{_where(path, spec.name)}: keys names {pattern!r}, which matches [keys.{key.name}], the key that "
                    "polls; a guard never acts on it: name the keys to guard more narrowly."
                )
    return specs
