"""Which keys to watch: ``--config FILE`` (TOML, one table a key) or the one key of the environment.

    [keys.team-a]
    api_key_file = "/run/secrets/openrouter-team-a"   # or: api_key_env = "OPENROUTER_KEY_TEAM_A"
    below = 10.0        # optional alert thresholds
    days_below = 3

The key itself never goes in the file. Every problem is a ``ConfigurationError`` naming the file, the
key's name and what to change; nothing is polled before the whole file has been read.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ._exceptions import ConfigurationError
from ._settings import check_key

__all__ = ["KeySpec", "key_from_text", "load_keys", "read_key_file"]

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
FIELDS = ("api_key_file", "api_key_env", "below", "days_below")


@attrs.frozen(repr=False)
class KeySpec:
    """One key to watch: its name (a label, never the key), the key (None: $OPENROUTER_API_KEY, which
    the client reads itself), and its alert thresholds."""

    name: str
    api_key: str | None = attrs.field(repr=False)
    below: float | None = None
    days_below: float | None = None

    def __repr__(self) -> str:
        return f"KeySpec(name={self.name!r}, below={self.below!r}, days_below={self.days_below!r})"


def key_from_text(text: str, where: str) -> str:
    """The key in ``text`` (what a key file or standard input held); ``where`` names it in messages."""
    return check_key(text, where).reveal()


def _print_warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def read_key_file(path: str, where: str, warn: Callable[[str], None] = _print_warning) -> str:
    """The key in the file at ``path``; ``where`` says in messages who named the file. A file other
    users can read is used, with a warning (as ssh warns of a private key's mode)."""
    try:
        with open(path, encoding="utf-8") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            text = handle.read(4096)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigurationError(f"{where}: cannot read the key file {path}: {reason}.") from None
    if mode & 0o077:
        warn(
            f"{where}: the key file {path} can be read by other users (mode {mode & 0o777:03o}); run: chmod 600 {path}"
        )
    return key_from_text(text, f"{where}: the key file {path}")


def _threshold(value: Any, field: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        unit = "dollars" if field == "below" else "days"
        raise ConfigurationError(f"{where}: {field} must be a number of {unit}, 0 or more, not {value!r}.")
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
    if sources[0] == "api_key_file":
        path = value if os.path.isabs(value) else str(Path(source).parent / value)
        key = read_key_file(path, where)
    else:
        key = environ.get(value, "").strip()
        if not key:
            raise ConfigurationError(f"{where}: the environment variable {value} is not set (or is blank).")
    return KeySpec(
        name,
        key,
        _threshold(table.get("below"), "below", where),
        _threshold(table.get("days_below"), "days_below", where),
    )


def load_keys(path: str, environ: Mapping[str, str] | None = None) -> list[KeySpec]:
    """The keys of the TOML file at ``path``, in the file's order."""
    import tomllib

    environ = os.environ if environ is None else environ
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ConfigurationError(f"--config {path}: cannot read it: {exc.strerror or exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        if "twice" in detail or "overwrite" in detail.lower():
            detail += " (a key's name may be used once)"
        raise ConfigurationError(f"--config {path}: not valid TOML: {detail}.") from None
    unknown = [name for name in document if name != "keys"]
    if unknown:
        raise ConfigurationError(f"--config {path}: unknown table {unknown[0]!r}; the file holds [keys.NAME] tables.")
    keys = document.get("keys")
    if not isinstance(keys, dict) or not keys:
        raise ConfigurationError(f"--config {path}: no keys: add a [keys.NAME] table for each key to watch.")
    return [_spec(name, table, path, environ) for name, table in keys.items()]
