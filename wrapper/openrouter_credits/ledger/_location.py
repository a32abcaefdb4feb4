"""Where the ledger is: a SQLite file (by default under the user's data directory) or a PostgreSQL
database named by URL; from ``--ledger``, ``ledger = "..."`` in the config file, or
``$OPENROUTER_CREDITS_LEDGER``, in that order.

A password never goes on the command line (every local user can read the process list) nor in the
config file: PostgreSQL takes it from ``PGPASSWORD``, ``~/.pgpass`` or a URL in the variable.
Messages show a URL without its password (``shown``).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import attrs

from .._exceptions import ConfigurationError

__all__ = ["LEDGER_ENV", "Location", "default_path", "resolve"]

LEDGER_ENV = "OPENROUTER_CREDITS_LEDGER"
_SCHEMES = ("postgresql://", "postgres://")
#: The ``origin`` of the ledger no setting named.
DEFAULT_ORIGIN = "the default ledger"


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME/openrouter-credits/ledger.sqlite3, else ~/.local/share/openrouter-credits/..."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "openrouter-credits" / "ledger.sqlite3"


def _without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    user = urllib.parse.unquote(parts.username or "")
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@attrs.frozen(repr=False)
class Location:
    """A ledger's place: ``path`` (SQLite) or ``url`` (PostgreSQL; kept out of the repr)."""

    path: Path | None = None
    url: str | None = attrs.field(default=None, repr=False)
    #: Where the setting came from, for messages (``--ledger``, ``ledger in keys.toml``, ...).
    origin: str = DEFAULT_ORIGIN

    @property
    def is_postgresql(self) -> bool:
        return self.url is not None

    @property
    def shown(self) -> str:
        """How messages name it: the file, or the URL without a password."""
        return _without_password(self.url) if self.url is not None else str(self.path)

    @property
    def named(self) -> bool:
        """Whether a setting named it (``--ledger``, the config file, the environment), not the default."""
        return self.origin != DEFAULT_ORIGIN

    def exists(self) -> bool:
        """Whether there is a ledger to read (a PostgreSQL one is taken to exist once named)."""
        return self.url is not None or (self.path is not None and self.path.exists())

    def __repr__(self) -> str:
        return f"Location({self.shown!r})"


def parse(text: str, origin: str, *, password_allowed: bool = False) -> Location:
    """``text`` (a path, or a postgresql:// URL) as a Location; ``origin`` names the setting."""
    text = text.strip()
    if not text:
        raise ConfigurationError(f"{origin} is empty: give a file path or a postgresql:// URL.")
    if text.startswith(_SCHEMES):
        try:
            password = urllib.parse.urlsplit(text).password
        except ValueError as exc:
            raise ConfigurationError(f"{origin} is not a valid URL ({exc}).") from None
        if password is not None and not password_allowed:
            raise ConfigurationError(
                f"{origin} holds a password, which would show in the process list or the file: leave it out and "
                f"give it in PGPASSWORD or ~/.pgpass (or put the whole URL in ${LEDGER_ENV})."
            )
        return Location(url=text, origin=origin)
    if "://" in text:
        raise ConfigurationError(
            f"{origin}: {text.split('://')[0]}:// is not a ledger; use a file path or postgresql://."
        )
    return Location(path=Path(text).expanduser(), origin=origin)


def resolve(
    option: str | None,
    config: str | None = None,
    config_origin: str = "ledger in the config file",
    environ: Mapping[str, str] | None = None,
) -> Location:
    """The ledger to use: ``--ledger``, else the config file's ``ledger``, else $OPENROUTER_CREDITS_LEDGER,
    else the default SQLite file."""
    environ = os.environ if environ is None else environ
    if option is not None:
        return parse(option, "--ledger")
    if config is not None:
        return parse(config, config_origin)
    if environ.get(LEDGER_ENV, "").strip():
        return parse(environ[LEDGER_ENV], f"${LEDGER_ENV}", password_allowed=True)
    return Location(path=default_path(environ))


def configured(option: str | None, config: str | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a ledger was named at all (serve writes one only then)."""
    environ = os.environ if environ is None else environ
    return option is not None or config is not None or bool(environ.get(LEDGER_ENV, "").strip())
