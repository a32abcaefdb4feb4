"""The exporter's state directory (``--state-dir``): created at start, held by one exporter at a time.

- ``StateDir(path)`` creates the folder (mode 700) and takes an exclusive, non-blocking ``flock`` on
  ``path/lock``: a second ``openrouter-credits serve`` on the same folder stops at start with a
  ``ConfigurationError`` naming the pid that holds it, instead of two exporters overwriting each
  other's alert state and outbox. The lock goes with the process (a kill -9 releases it). A folder
  another user owns or may write to is refused (whoever can write there could plant alerts, or links
  that the exporter would follow), as is a ``lock`` that is a symbolic link.
- Files in it are JSON, written atomically (a temporary file of an unpredictable name created
  exclusively, fsync, ``os.replace``, fsync of the folder), so a crash leaves the old file or the new
  one, never half of one, and a link planted under a temporary name is never followed.
- A file is opened without following a symbolic link or waiting on a FIFO, and read up to
  ``MAX_STATE_FILE_BYTES``. One that is not a regular file, is larger, is not UTF-8 JSON (however it
  fails to decode: nesting 200,000 deep included), or holds a value of the wrong shape, is moved aside
  to ``NAME.corrupt-<timestamp>`` with one warning and reads as absent: the exporter starts afresh
  rather than refusing to start (or crashing in a loop), and the bad file is kept for a person.
- ``StateFile`` keeps one file up to date from the event loop without blocking it: a change marks the
  file stale; a worker thread writes the latest snapshot (many changes, one write); ``await flush()``
  returns once every change made before it is on disk.

``read_json`` and ``write_json`` are the same rules for a single file (the outbox uses them too).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

from .. import _defaults
from .._apps.state_folder import private_folder
from .._exceptions import ConfigurationError
from .._logging import EXPORTER_LOGGER

__all__ = ["LOCK_NAME", "StateDir", "StateFile", "read_json", "write_json"]

logger = logging.getLogger(EXPORTER_LOGGER)

#: The file in the state directory that the running exporter holds a lock on (and writes its pid to).
LOCK_NAME = "lock"

#: Says whether a loaded value has the expected shape; raising any exception counts as "no".
Validator = Callable[[Any], bool]


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON. Never fails on text: a lone surrogate (``"bad\\ud800key"``),
    which UTF-8 cannot hold, is written as its JSON escape, and reads back as it was."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "backslashreplace")  # outside strings JSON text is ASCII: only strings hold one


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as JSON to ``path`` atomically and durably (mode 600); raises ``OSError``."""
    write_bytes(path, encode_json(value))


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably (mode 600) through a temporary file of an
    unpredictable name, created exclusively (never through a link planted there); raises ``OSError``."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)  # a link at ``path`` is replaced, never followed
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
    while aside.exists() or aside.is_symlink():
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    return aside


def _read_bounded(path: Path, limit: int) -> bytes | str:
    """The bytes of ``path``, or why they are not read (a problem: the file is moved aside)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # O_NONBLOCK: a FIFO does not hang
    fd = os.open(path, flags)  # FileNotFoundError and ELOOP are the caller's
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "not a regular file"
        data = handle.read(limit + 1)
    if len(data) > limit:
        return f"larger than {limit} bytes"
    return data


def read_json(
    path: Path,
    validate: Validator | None = None,
    *,
    clock: Callable[[], float] = time.time,
    limit: int = _defaults.MAX_STATE_FILE_BYTES,
) -> Any:
    """The JSON value in ``path``; None when there is no such file, or when it is corrupt: a symbolic
    link, not a regular file, over ``limit`` bytes, not UTF-8 JSON (whatever the decoder raises), or
    refused by ``validate``. A corrupt file is moved aside to ``NAME.corrupt-<timestamp>``, with one
    warning. A file that cannot be read at all (permissions) also reads as None, with a warning."""
    try:
        read = _read_bounded(path, limit)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            logger.warning("Could not read %s (%s); starting without it", path, exc.strerror or exc)
            return None
        read = "a symbolic link"
    if isinstance(read, str):
        problem = read
    else:
        try:
            value = json.loads(read.decode("utf-8"))
        except (ValueError, RecursionError, MemoryError) as exc:  # UnicodeDecodeError is a ValueError
            problem = f"not valid JSON ({_excerpt(exc)})"
        else:
            try:
                valid = validate is None or validate(value)
                problem = "not of the expected shape"
            except Exception as exc:  # a validator's refusal, whatever it raises
                valid, problem = False, f"not of the expected shape ({_excerpt(exc)})"
            if valid:
                return value
    _move_aside(path, problem, clock)
    return None


def _excerpt(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _move_aside(path: Path, problem: str, clock: Callable[[], float]) -> None:
    aside = _corrupt_name(path, clock())
    try:
        os.replace(path, aside)  # a link is moved, not what it points to
    except OSError as exc:
        logger.warning("%s is %s and could not be moved aside (%s); starting without it", path, problem, exc.strerror)
    else:
        logger.warning("%s was %s: moved aside to %s; starting without it", path, problem, aside.name)


class StateDir:
    """The folder at ``path``, created and locked for this process; ``close()`` lets it go."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock_fd: int | None = None
        private_folder(self.path)  # refused when another user owns it or may write to it
        self._lock()

    def _lock(self) -> None:
        lock = self.path / LOCK_NAME
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ConfigurationError(
                    f"--state-dir {self.path}: {lock} is a symbolic link, not the lock file serve makes: remove it."
                ) from None
            raise ConfigurationError(
                f"--state-dir {self.path}: cannot create {lock}: {exc.strerror or exc}; "
                "name a folder this user may write."
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ConfigurationError(
                f"--state-dir {self.path}: {lock} is not a regular file, not the lock file serve makes: remove it."
            )
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


Snapshot = TypeVar("Snapshot")


class StateFile(Generic[Snapshot]):
    """One state file kept up to date from the event loop without blocking it.

    ``changed()`` says the data changed; the file is then written from ``snapshot()`` (taken on the
    loop: a cheap copy) by ``encode(snapshot)`` (run in a worker thread, with the write): many changes
    between two writes make one write, and a write never runs twice at once. ``await flush()`` returns
    once every change made before the call is on disk, or its write failed (logged: the data stays in
    memory; one warning per run of failures). Without a running event loop (a script, a test, the
    last write at exit), ``changed()`` writes at once. ``path`` None: kept in memory only."""

    def __init__(
        self,
        path: Path | None,
        snapshot: Callable[[], Snapshot],
        encode: Callable[[Snapshot], Any],
        *,
        what: str,
    ) -> None:
        self.path = path
        self._snapshot = snapshot
        self._encode = encode
        self._what = what
        self._version = 0  # changes made
        self._written = 0  # changes on disk (or whose write failed)
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        #: Writes done (a test, or a benchmark, counts them).
        self.writes = 0

    def changed(self) -> None:
        """Mark the file stale: it is written soon (at once, without a running loop)."""
        if self.path is None:
            return
        self._version += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write(self._snapshot())
            self._written = self._version
            return
        self._writer(loop)

    async def flush(self) -> None:
        """Return once every change made before this call is written (or its write failed, logged)."""
        target = self._version
        while self._written < target:
            await asyncio.shield(self._writer(asyncio.get_running_loop()))

    def _writer(self, loop: asyncio.AbstractEventLoop) -> asyncio.Task[None]:
        """The task writing the file on ``loop``, started if there is none (or only one of a loop gone)."""
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            assert self.path is not None
            self._task = loop.create_task(self._run(), name=f"write {self.path.name}")
        return self._task

    async def _run(self) -> None:
        while self._written < self._version:
            version = self._version
            await asyncio.to_thread(self._write, self._snapshot())
            self._written = max(self._written, version)

    def _write(self, snapshot: Snapshot) -> None:
        assert self.path is not None
        try:
            write_bytes(self.path, encode_json(self._encode(snapshot)))
        except Exception as exc:  # a full disk, a folder gone, or a bug: the data stays in memory
            if not self._failing:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
                logger.warning("Could not write %s %s: %s; kept in memory", self._what, self.path, reason)
            self._failing = True
        else:
            if self._failing:
                logger.info("%s %s is written again", self._what.capitalize(), self.path)
            self._failing = False
            self.writes += 1
