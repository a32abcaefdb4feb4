"""Which keys to watch: ``--config FILE`` (TOML, one table a key) or the one key of the environment.

    [keys.team-a]
    api_key_file = "/run/secrets/openrouter-team-a"   # or: api_key_env = "OPENROUTER_KEY_TEAM_A"
    below = 10.0        # optional alert thresholds
    days_below = 3
    spike = 3.0         # alert when today's spend so far is 3x what the forecast expects by now
    spike_min_dollars = 1.0     # ... and at least this much (default 1.0)
    notify = ["team-slack"]     # where its alerts go (default: [defaults] notify, else every channel)

    [keys.account]              # a management key: every key of the account exported (serve)
    api_key_env = "OPENROUTER_MANAGEMENT_KEY"
    discover = true
    top_models = 10             # per-model spend series: the 10 most spent, then "other"
    max_keys = 500              # listed keys exported: the most spent, then one "other"
    key_below_fraction = 0.1    # alert when a listed key has less than 10 % of its limit left
    key_will_exhaust = true     # alert when a listed key is bound to reach its limit before its reset

    [notify.team-slack]         # a channel of the exporter (exporter/_notify_tables.py reads the table)
    kind = "slack"
    webhook_url_env = "SLACK_WEBHOOK_URL"

    [defaults]
    notify = ["team-slack"]

    [teams.platform]            # who spent it (_apps/teams.py reads the table)
    keys = ["ci-*"]
    workspaces = ["Production"]

    [guard.runaway-ci]          # a guard of serve: acts on the keys [keys.account] lists (guard_config.py)
    keys = ["ci-*"]
    when = "spike"
    factor = 5.0
    action = "disable"

The key itself never goes in the file, nor does any other secret. Every problem is a
``ConfigurationError`` naming the file, the key's name and what to change; nothing is polled before
the whole file has been read.
"""

from __future__ import annotations

import math
import os
import re
import stat
import sys
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from .._defaults import (
    DEFAULT_MAX_KEYS,
    DEFAULT_SPIKE_MIN_DOLLARS,
    DEFAULT_TOP_MODELS,
    MAX_CONFIG_BYTES,
    MAX_KEY_FILE_CHARS,
)
from .._exceptions import ConfigurationError
from .._settings import check_key
from .._text import toml_value
from .guard_config import GuardSpec, guard_specs
from .teams import Teams, parse_teams

__all__ = [
    "NOTIFY_URL_CHANNEL",
    "ConfigFile",
    "KeySpec",
    "key_from_text",
    "ledger_setting",
    "load_config",
    "load_keys",
    "read_key_file",
    "teams_setting",
]

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
FIELDS = (
    "api_key_file",
    "api_key_env",
    "below",
    "days_below",
    "notify",
    "spike",
    "spike_min_dollars",
    "discover",
    "top_models",
    "max_keys",
    "key_below_fraction",
    "key_will_exhaust",
)
#: The settings that only a key with ``discover = true`` takes.
DISCOVERY_FIELDS = ("top_models", "max_keys", "key_below_fraction", "key_will_exhaust")
TABLES = ("keys", "notify", "defaults", "teams", "guard")
#: Settings at the file's top level, outside any table.
TOP_LEVEL = ("ledger",)


@attrs.frozen(repr=False)
class KeySpec:
    """One key to watch: its name (a label, never the key), the key (None: $OPENROUTER_API_KEY, which
    the client reads itself), its alert thresholds, the channels its alerts go to (None: the
    defaults), and ``origin``: where the key came from, as its reader would name it."""

    name: str
    api_key: str | None = attrs.field(repr=False)
    below: float | None = None
    days_below: float | None = None
    notify: tuple[str, ...] | None = None
    origin: str | None = None
    #: Alert when today's spend so far is above this multiple of what was expected by now (``_apps.spike``).
    spike: float | None = None
    spike_min_dollars: float = DEFAULT_SPIKE_MIN_DOLLARS
    #: Export every key of the account (a management key's ``GET /keys``) and its spend per model.
    discover: bool = False
    top_models: int = DEFAULT_TOP_MODELS
    max_keys: int = DEFAULT_MAX_KEYS
    #: Alert when a listed key's limit remaining falls under this fraction of its limit.
    key_below_fraction: float | None = None
    #: Alert when a listed key is projected to reach its limit before its reset.
    key_will_exhaust: bool = False

    def __repr__(self) -> str:
        return (
            f"KeySpec(name={self.name!r}, below={self.below!r}, days_below={self.days_below!r}, spike={self.spike!r})"
        )

    def terms(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base``'s names for the settings, with where this key came from (``origin``) as its source."""
        return {**base, "key_source": self.origin} if self.origin else dict(base)


@attrs.frozen
class ConfigFile:
    """A ``--config`` file: its keys, its ``[notify.NAME]`` tables (read by the exporter, which owns
    the channels) and the default channels of a key that names none."""

    keys: tuple[KeySpec, ...]
    notify: Mapping[str, Mapping[str, Any]] = attrs.Factory(dict)
    default_notify: tuple[str, ...] | None = None
    base_dir: Path = Path()
    path: str = ""
    #: Where serve writes what it polls, and sync and report read (``ledger = "..."``: a path or a
    #: postgresql:// URL, without a password); None when the file names none.
    ledger: str | None = None
    #: The ``[teams.NAME]`` tables: which team each key of the account belongs to (``_apps.teams``).
    teams: Teams = attrs.Factory(Teams)
    #: The ``[guard.NAME]`` tables: what serve's guards watch and do (``guard_config``).
    guards: tuple[GuardSpec, ...] = ()


def key_from_text(text: str, where: str) -> str:
    """The key in ``text`` (what a key file or standard input held); ``where`` names it in messages."""
    return check_key(text, where).reveal()


def _print_warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


#: What a secret's file may not be, by the kind its mode gives: a device streams for ever, a folder
#: holds no text. A pipe (``--api-key-file <(pass show openrouter)``) is read as a file is.
_NOT_FILES: Final = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                     (stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket"))  # fmt: skip


def not_a_file(path: str) -> str | None:
    """Why ``path`` cannot hold a secret (``is not a regular file: it is a character device``), None
    when it may (a regular file, a pipe) or does not exist (opening it says so)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    kind = next((kind for test, kind in _NOT_FILES if test(mode)), None)
    return None if kind is None else f"is not a regular file: it is {kind}"


def readable_by_others(mode: int) -> bool:
    """Whether a secret's file of ``mode`` can be read by other users (a regular file only: a pipe's
    mode says nothing of who may read what went through it)."""
    return stat.S_ISREG(mode) and bool(mode & 0o077)


def read_key_file(path: str, where: str, warn: Callable[[str], None] = _print_warning) -> str:
    """The key in the file at ``path``; ``where`` says in messages who named the file. A file other
    users can read is used, with a warning (as ssh warns of a private key's mode); a device or a
    folder is refused."""
    refused = not_a_file(path)
    if refused is not None:
        raise ConfigurationError(
            f"{where}: {path} {refused}: give the file that holds the key (- reads standard input)."
        )
    try:
        with open(path, encoding="utf-8") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            text = handle.read(MAX_KEY_FILE_CHARS)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigurationError(f"{where}: cannot read the key file {path}: {reason}.") from None
    if readable_by_others(mode):
        warn(
            f"{where}: the key file {path} can be read by other users (mode {mode & 0o777:03o}); run: chmod 600 {path}"
        )
    return key_from_text(text, f"{where}: the key file {path}")


def _threshold(value: Any, field: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        unit = "dollars" if field in ("below", "spike_min_dollars") else "days"
        raise ConfigurationError(f"{where}: {field} must be a number of {unit}, 0 or more, not {toml_value(value)}.")
    return float(value)


def _spec(name: str, table: Any, source: str, environ: Mapping[str, str]) -> KeySpec:
    where = f"--config {source}: [keys.{name}]"
    if not NAME.fullmatch(name):
        raise ConfigurationError(
            f"{where}: a key's name is letters, digits, '.', '_' or '-' (up to 63), starting with a letter or digit."
        )
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: expected a table of settings, not {type(table).__name__}.")
    inline = [field for field in table if field in ("api_key", "key", "token", "secret")]
    inline += [field for field, value in table.items() if isinstance(value, str) and value.startswith("sk-or-")]
    if inline:
        raise ConfigurationError(
            f"{where}: {inline[0]} holds a key, and the key never goes in this file: "
            "use api_key_file (a file holding the key alone) or api_key_env (a variable holding it)."
        )
    unknown = [field for field in table if field not in FIELDS]
    if unknown:
        raise ConfigurationError(f"{where}: unknown setting {unknown[0]!r}; the settings are {', '.join(FIELDS)}.")
    sources = [field for field in ("api_key_file", "api_key_env") if field in table]
    if len(sources) != 1:
        raise ConfigurationError(f"{where}: give exactly one of api_key_file and api_key_env.")
    value = table[sources[0]]
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where}: {sources[0]} must be a non-empty string.")
    shown = Path(source).name
    if sources[0] == "api_key_file":
        path = value if os.path.isabs(value) else str(Path(source).parent / value)
        key = read_key_file(path, where)
        origin = f"the key file {path} named by [keys.{name}] in {shown}"
    else:
        key = environ.get(value, "").strip()
        if not key:
            raise ConfigurationError(f"{where}: the environment variable {value} is not set (or is blank).")
        key = check_key(key, f"{where}: the variable {value}").reveal()
        origin = f"the variable {value} named by [keys.{name}] in {shown}"
    discover = _flag(table.get("discover"), "discover", where)
    if not discover:
        given = [field for field in DISCOVERY_FIELDS if field in table]
        if given:
            raise ConfigurationError(f"{where}: {given[0]} is a setting of discover = true, which this key lacks.")
    fraction = table.get("key_below_fraction")
    if fraction is not None and (
        isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1
    ):
        raise ConfigurationError(f"{where}: key_below_fraction must be a fraction above 0, up to 1 (0.1 is 10 %).")
    return KeySpec(
        name,
        key,
        _threshold(table.get("below"), "below", where),
        _threshold(table.get("days_below"), "days_below", where),
        _names(table.get("notify"), "notify", where),
        origin,
        spike=_spike(table.get("spike"), where),
        spike_min_dollars=_threshold(
            table.get("spike_min_dollars", DEFAULT_SPIKE_MIN_DOLLARS), "spike_min_dollars", where
        )
        or 0.0,
        discover=discover,
        top_models=_count(table.get("top_models"), "top_models", where, DEFAULT_TOP_MODELS),
        max_keys=_count(table.get("max_keys"), "max_keys", where, DEFAULT_MAX_KEYS),
        key_below_fraction=None if fraction is None else float(fraction),
        key_will_exhaust=_flag(table.get("key_will_exhaust"), "key_will_exhaust", where),
    )


def _spike(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 1:
        raise ConfigurationError(
            f"{where}: spike must be a multiple of the 7-day average above 1 (such as 3), not {toml_value(value)}."
        )
    return float(value)


def _flag(value: Any, field: str, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigurationError(f"{where}: {field} must be true or false, not {toml_value(value)}.")
    return value


def _count(value: Any, field: str, where: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{where}: {field} must be a whole number, 1 or more, not {toml_value(value)}.")
    return value


def _names(value: Any, field: str, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigurationError(f'{where}: {field} must be a list of channel names, such as ["team-slack"].')
    return tuple(value)


def load_keys(path: str, environ: Mapping[str, str] | None = None) -> list[KeySpec]:
    """The keys of the TOML file at ``path``, in the file's order."""
    return list(load_config(path, environ).keys)


def _read_text(path: str) -> str:
    """The text of the file at ``path``: a regular file (a device such as /dev/zero, a FIFO or a
    folder is refused before anything is read), at most ``MAX_CONFIG_BYTES``, UTF-8."""
    try:
        # O_NONBLOCK: a FIFO opens at once (to be refused), instead of waiting for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigurationError(f"--config {path}: cannot read it: {exc.strerror or exc}.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ConfigurationError(
            f"--config {path}: not a regular file (a folder, a device or a pipe): name the TOML file itself."
        )
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            raise ConfigurationError(f"--config {path}: cannot read it: {exc.strerror or exc}.") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigurationError(
            f"--config {path}: larger than {MAX_CONFIG_BYTES // 1024} KiB, which no file of keys and channels is: "
            "check that it names the right file."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigurationError(
            f"--config {path}: not UTF-8 text (line {line}): save it as UTF-8 (TOML files are UTF-8)."
        ) from None


def _read_document(path: str) -> dict[str, Any]:
    """The TOML document at ``path``; every problem a ConfigurationError naming the file."""
    import tomllib

    try:
        return tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        if "twice" in detail or "overwrite" in detail.lower():
            detail += " (a key's name may be used once)"
        raise ConfigurationError(f"--config {path}: not valid TOML: {detail}.") from None


def load_config(path: str, environ: Mapping[str, str] | None = None) -> ConfigFile:
    """The TOML file at ``path``: its keys in the file's order, its channels and defaults."""
    environ = os.environ if environ is None else environ
    document = _read_document(path)
    unknown = [name for name in document if name not in TABLES + TOP_LEVEL]
    if unknown:
        raise ConfigurationError(
            f"--config {path}: unknown table {unknown[0]!r}; the file holds [keys.NAME], [notify.NAME], "
            "[teams.NAME], [guard.NAME] and [defaults] tables."
        )
    ledger = _ledger(document, path)
    teams = parse_teams(document.get("teams"), path)
    keys = document.get("keys")
    if keys is not None and not isinstance(keys, dict):
        raise ConfigurationError(
            f"--config {path}: keys must be a table of [keys.NAME] tables, one per key to watch "
            f'([keys.team-a] with api_key_env = "..."), not {toml_value(keys)}.'
        )
    if not keys:
        raise ConfigurationError(f"--config {path}: no keys: add a [keys.NAME] table for each key to watch.")
    channels = document.get("notify", {})
    if not isinstance(channels, dict) or not all(isinstance(table, dict) for table in channels.values()):
        raise ConfigurationError(f"--config {path}: notify holds [notify.NAME] tables, one per channel.")
    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - {"notify"}:
        raise ConfigurationError(f"--config {path}: [defaults] takes one setting, notify.")
    default_notify = _names(defaults.get("notify"), "notify", f"--config {path}: [defaults]")
    specs = tuple(_spec(name, table, path, environ) for name, table in keys.items())
    for where, names in [(f"[keys.{s.name}]", s.notify) for s in specs] + [("[defaults]", default_notify)]:
        for name in names or ():
            if name not in channels and name != NOTIFY_URL_CHANNEL:
                raise ConfigurationError(f"--config {path}: {where}: {_no_channel(name, channels)}")
    guards = guard_specs(document.get("guard", {}), specs, path)
    return ConfigFile(specs, channels, default_notify, Path(path).parent, path, ledger, teams, guards)


#: --notify-url's channel, as a key's ``notify`` names it (``serve``'s alert routes check it is given).
NOTIFY_URL_CHANNEL = "notify-url"


def _no_channel(name: str, channels: Collection[str]) -> str:
    """Why ``notify`` may not name ``name``: the channels the file has, or how to add one."""
    named = f"notify names {toml_value(name)}, which is not a [notify.NAME] table"
    via = f'or give --notify-url and name its channel, "{NOTIFY_URL_CHANNEL}"'
    if channels:
        return f"{named}: the file's channels are {', '.join(channels)} ({via})."
    return f"{named}: the file has no channel: add a [notify.NAME] table ({via})."


def _ledger(document: Mapping[str, Any], path: str) -> str | None:
    value = document.get("ledger")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError(
            f'--config {path}: ledger must be a file path or a postgresql:// URL, such as ledger = "...".'
        )
    return value


def ledger_setting(path: str) -> str | None:
    """The top-level ``ledger`` of the TOML file at ``path`` (the ledger's commands read only that)."""
    return _ledger(_read_document(path), path)


def teams_setting(path: str) -> Teams:
    """The ``[teams.NAME]`` tables of the TOML file at ``path`` (``keys``, ``spend`` and ``report`` read
    only those: the file may hold only teams, or be serve's whole file, whose keys are not read)."""
    return parse_teams(_read_document(path).get("teams"), path)
