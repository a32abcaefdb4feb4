"""The exporter's state directory (``--state-dir``): created at start, held by one exporter at a time.

- ``StateDir(path)`` creates the folder (mode 700) and takes an exclusive, non-blocking ``flock`` on
  ``path/lock``: a second ``openrouter-credits serve`` on the same folder stops at start with a
  ``ConfigurationError`` naming the pid that holds it, instead of two exporters overwriting each
  other's alert state and outbox. The lock goes with the process (a kill -9 releases it).
- Files in it are JSON, written atomically (a temporary file, fsync, ``os.replace``, fsync of the
  folder), so a crash leaves the old file or the new one, never half of one.
- A file that is not valid JSON, or holds a value of the wrong shape, is moved aside to
  ``NAME.corrupt-<timestamp>`` with a warning and reads as absent: the exporter starts afresh rather
  than refusing to start, and the bad file is kept for a person to look at.

``read_json`` and ``write_json`` are the same rules for a single file (the outbox uses them too).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from .._exceptions import ConfigurationError
from .._logging import EXPORTER_LOGGER

__all__ = ["LOCK_NAME", "StateDir", "read_json", "write_json"]

logger = logging.getLogger(EXPORTER_LOGGER)

#: The file in the state directory that the running exporter holds a lock on (and writes its pid to).
LOCK_NAME = "lock"

#: Says whether a loaded value has the expected shape; raising ValueError, TypeError, KeyError or
#: AttributeError counts as "no".
Validator = Callable[[Any], bool]


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as JSON to ``path`` atomically and durably (mode 600); raises ``OSError``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def _corrupt_name(path: Path, now: float) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    return aside


def read_json(path: Path, validate: Validator | None = None, *, clock: Callable[[], float] = time.time) -> Any:
    """The JSON value in ``path``; None when there is no such file, or when it is corrupt (not UTF-8
    JSON, or ``validate`` says no): then it is moved aside to ``NAME.corrupt-<timestamp>``, with a
    warning. A file that cannot be read at all (permissions) also reads as None, with a warning."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("Could not read %s (%s); starting without it", path, exc.strerror or exc)
        return None
    problem = None
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        problem = f"not valid JSON ({exc})"
    else:
        try:
            valid = validate is None or validate(value)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            valid, problem = False, f"not of the expected shape ({exc})"
        if valid:
            return value
        problem = problem or "not of the expected shape"
    aside = _corrupt_name(path, clock())
    try:
        os.replace(path, aside)
    except OSError as exc:
        logger.warning("%s is %s and could not be moved aside (%s); starting without it", path, problem, exc.strerror)
    else:
        logger.warning("%s was %s: moved aside to %s; starting without it", path, problem, aside.name)
    return None


class StateDir:
    """The folder at ``path``, created and locked for this process; ``close()`` lets it go."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock_fd: int | None = None
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except FileExistsError:
            raise ConfigurationError(
                f"--state-dir {self.path} is a file, not a folder: name a folder (it is created if missing)."
            ) from None
        except OSError as exc:
            raise ConfigurationError(
                f"--state-dir {self.path} cannot be created: {exc.strerror or exc}; name a folder this user may write."
            ) from None
        self._lock()

    def _lock(self) -> None:
        lock = self.path / LOCK_NAME
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigurationError(
                f"--state-dir {self.path}: cannot create {lock}: {exc.strerror or exc}; "
                "name a folder this user may write."
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise ConfigurationError(
                    f"--state-dir {self.path}: cannot lock {lock}: {exc.strerror or exc}."
                ) from None
            pid = f" (pid {holder})" if holder else ""
            raise ConfigurationError(
                f"--state-dir {self.path} is in use by another openrouter-credits serve{pid}; "
                "give each exporter its own --state-dir."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def file(self, name: str) -> Path:
        """The path of the state file ``name`` (a plain file name, such as ``alerts.json``)."""
        if not name or "/" in name or name in (".", "..", LOCK_NAME):
            raise ValueError(f"{name!r} is not a state file's name")
        return self.path / name

    def load_json(self, name: str, validate: Validator | None = None) -> dict[str, Any] | None:
        """The JSON object in ``name``; None when absent or corrupt (a corrupt file is moved aside)."""

        def is_object(value: Any) -> bool:
            return isinstance(value, dict) and (validate is None or validate(value))

        value = read_json(self.file(name), is_object, clock=self._clock)
        return value if isinstance(value, dict) else None

    def write_json(self, name: str, value: Any) -> None:
        """Write ``name`` atomically and durably; raises ``OSError`` (a full disk) for the caller to report."""
        write_json(self.file(name), value)

    def close(self) -> None:
        """Release the lock (the lock file stays; its pid is stale until the next start)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the only descriptor releases the flock
            self._lock_fd = None

    def __enter__(self) -> StateDir:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateDir({str(self.path)!r}, locked={self._lock_fd is not None})"


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
