"""The state directory's folder (``--state-dir``), as ``serve`` and the command's key changes share it:
where it is by default, created mode 700, refused when another user owns it or may write to it
(whoever can write there could plant alerts for the channels to send, journal entries, or links for
the writer to follow). No asyncio, no lock: ``exporter/_statedir.py`` adds ``serve``'s lock and its
state files on top of this."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from .._exceptions import ConfigurationError

__all__ = ["default_state_dir", "private_folder"]


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's state directory: $XDG_STATE_HOME/openrouter-credits, else ~/.local/state/openrouter-credits."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "openrouter-credits"


def private_folder(path: Path, option: str = "--state-dir") -> Path:
    """``path``, created (mode 700) if missing, and checked: a folder of this user's own that no other
    user may write to; else a ConfigurationError naming ``option``."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigurationError(
            f"{option} {path} is a file, not a folder: name a folder (it is created if missing)."
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"{option} {path} cannot be created: {exc.strerror or exc}; name a folder this user may write."
        ) from None
    try:
        found = os.stat(path)
    except OSError as exc:
        raise ConfigurationError(f"{option} {path} cannot be read: {exc.strerror or exc}.") from None
    if not stat.S_ISDIR(found.st_mode):
        raise ConfigurationError(f"{option} {path} is a file, not a folder: name a folder (it is created if missing).")
    if found.st_uid != os.geteuid():
        raise ConfigurationError(
            f"{option} {path} belongs to another user (uid {found.st_uid}): name a folder of this "
            "user's own (it is created, mode 700, if missing)."
        )
    if found.st_mode & 0o022:
        raise ConfigurationError(
            f"{option} {path} may be written by other users (mode {found.st_mode & 0o777:03o}): run chmod 700 {path}"
        )
    return path
