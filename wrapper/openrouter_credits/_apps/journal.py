"""The journal of changes to the account's keys: every ``keys disable``, ``enable``, ``set-limit`` and
``remove-limit`` of the command, and every action (or would-be action) of a guard of ``serve``, with
its time, the key's hash and name, the fields before and after, the outcome and the reason.

It is kept in the ledger when one is named (``--ledger``, ``ledger = "..."``, ``$OPENROUTER_CREDITS_LEDGER``:
its ``key_changes`` table), else in the state directory (``--state-dir``), in ``journal.jsonl``:

- one JSON object a line, appended with a single ``write()`` on a file opened ``O_APPEND`` without
  following a link or waiting on a FIFO, under an exclusive lock (``journal.lock``), then fsynced: the
  command and ``serve`` append to the same file at once without mixing two entries; a line a crash
  cut short is skipped when read (with one warning), never read as another entry;
- bounded: past ``MAX_JOURNAL_BYTES`` the file becomes ``journal.jsonl.1`` (the one before is dropped),
  and a read takes at most that much of each, so the journal never grows without bound nor is read
  whole into memory however it was planted;
- the folder follows the state directory's rules (``state_folder.private_folder``).

``check()`` is called before a change is made: a journal that cannot be written refuses the change
(nothing is changed without its entry). A change whose answer never came (Ctrl-C or a cancelled task
while it was sent, a timeout, a dropped connection, a 5xx after retries) may have been made: it is
journaled ``unknown`` (``outcome_of``), with how to see the key as it is (``UNKNOWN_ADVICE``). Pure I/O
of files and the ledger; no asyncio.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import stat
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from .._defaults import MAX_JOURNAL_BYTES
from .._exceptions import OpenRouterCreditsError
from .._logging import EXPORTER_LOGGER

if TYPE_CHECKING:
    from ..ledger import Ledger

__all__ = [
    "CLI",
    "JOURNAL_FILE",
    "MAX_JOURNAL_BYTES",
    "SEE_THE_KEY",
    "FileJournal",
    "Journal",
    "JournalEntry",
    "JournalError",
    "LedgerJournal",
    "changes_text",
    "outcome_of",
    "unknown_reason",
    "value_text",
]

logger = logging.getLogger(EXPORTER_LOGGER)

JOURNAL_FILE = "journal.jsonl"
LOCK_FILE = "journal.lock"
#: An entry's text fields are cut to this many characters (a key's name comes from OpenRouter).
MAX_FIELD_CHARS = 1000

#: Who made a change: the command, or a guard (its name).
CLI = "cli"
#: The outcomes of an entry: ``unknown`` is a change sent whose answer never came (it may have been made).
OUTCOMES = ("done", "failed", "dry_run", "skipped", "unknown")
#: How to see whether a change whose answer never came was made.
SEE_THE_KEY = "openrouter-credits keys --include-disabled shows the key as it is"
#: What an ``unknown`` entry's reason starts with.
UNKNOWN_ADVICE = f"The change may have been made ({SEE_THE_KEY})"


class JournalError(OpenRouterCreditsError):
    """The journal in the state directory cannot be written (or read) now: a full disk, a link or a
    FIFO planted at the file. A change is refused when its journal cannot be written; the command
    exits as for a ledger that cannot be written now (``kind`` ``ledger_unavailable``: 8). A folder
    another user owns or may write to is a ``ConfigurationError`` (``private_folder``)."""

    kind = "ledger_unavailable"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_FIELD_CHARS else text[: MAX_FIELD_CHARS - 1] + "…"


def _time(value: dt.datetime) -> dt.datetime:
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value.replace(microsecond=0)


@attrs.frozen
class JournalEntry:
    """One change (or would-be change) to a key: ``actor`` is ``cli`` or a guard's name, ``account`` the
    ``[keys.NAME]`` whose listing the guard read (empty for the command); ``before`` and ``after`` the
    fields the change touched; ``outcome`` one of ``done``, ``failed``, ``dry_run``, ``skipped``, ``unknown``
    (sent, and its answer never came: it may have been made)."""

    at: dt.datetime = attrs.field(converter=_time)
    actor: str = attrs.field(converter=_cut)
    key_hash: str
    key_name: str = attrs.field(converter=_cut)
    action: str
    outcome: str = attrs.field(validator=attrs.validators.in_(OUTCOMES))
    before: Mapping[str, Any] = attrs.field(factory=dict)
    after: Mapping[str, Any] = attrs.field(factory=dict)
    reason: str = attrs.field(default="", converter=_cut)
    account: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "actor": self.actor,
            "account": self.account,
            "key_hash": self.key_hash,
            "key_name": self.key_name,
            "action": self.action,
            "outcome": self.outcome,
            "before": dict(self.before),
            "after": dict(self.after),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, value: Any) -> JournalEntry:
        """An entry from what ``to_json`` wrote; ValueError (or TypeError, KeyError) for anything else."""
        if not isinstance(value, dict):
            raise TypeError("an entry is a JSON object")
        for name in ("actor", "account", "key_hash", "key_name", "action", "outcome", "reason"):
            if not isinstance(value.get(name, ""), str):
                raise TypeError(f"{name} is not a string")
        if not isinstance(value.get("before"), dict) or not isinstance(value.get("after"), dict):
            raise TypeError("before and after are objects")
        return cls(
            at=dt.datetime.fromisoformat(str(value["at"]).replace("Z", "+00:00")),
            actor=value["actor"],
            key_hash=value["key_hash"],
            key_name=value.get("key_name", ""),
            action=value["action"],
            outcome=value["outcome"],
            before=value["before"],
            after=value["after"],
            reason=value.get("reason", ""),
            account=value.get("account", ""),
        )


class Journal(Protocol):
    """Where entries go: the ledger, or the state directory's file."""

    where: str

    def check(self) -> None:
        """Raise ``JournalError`` unless an entry can be written now."""

    def append(self, entry: JournalEntry) -> None:
        """Write one entry (``JournalError`` when it cannot be)."""

    def entries(self, last: int | None = None) -> list[JournalEntry]:
        """The entries, oldest first (the ``last`` ones only, when given)."""


def _open_regular(path: Path, flags: int) -> int:
    """A descriptor of the regular file at ``path``, opened without following a link or waiting on a
    FIFO; ``JournalError`` for a link or anything that is not a regular file."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise JournalError(f"{path} is a symbolic link, not the journal: remove it.") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise JournalError(f"{path} is not a regular file, not the journal: remove it.")
    return fd


class FileJournal:
    """The journal in the state directory ``folder`` (checked: ``private_folder``)."""

    def __init__(self, folder: Path, *, max_bytes: int = MAX_JOURNAL_BYTES) -> None:
        self.folder = Path(folder)
        self.path = self.folder / JOURNAL_FILE
        self.max_bytes = max_bytes
        self.where = f"the journal {self.path}"
        #: Lines of the last read that were not entries (a line a crash cut short, a planted one).
        self.skipped = 0

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        from .state_folder import private_folder

        private_folder(self.folder)
        fd = _open_regular(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # a few milliseconds at most: one append, or one read
            yield
        finally:
            os.close(fd)

    def check(self) -> None:
        try:
            with self._locked():
                os.close(_open_regular(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT))
        except OSError as exc:
            raise JournalError(f"cannot write {self.where}: {exc.strerror or exc}.") from None

    def append(self, entry: JournalEntry) -> None:
        line = json.dumps(entry.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
        data = line.encode("utf-8", "backslashreplace")
        try:
            with self._locked():
                fd = _open_regular(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                try:
                    if os.fstat(fd).st_size + len(data) > self.max_bytes:
                        os.replace(self.path, self.folder / f"{JOURNAL_FILE}.1")  # the older one goes
                        os.close(fd)
                        fd = _open_regular(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                    written = os.write(fd, data)  # one write: never mixed with another process's entry
                    if written != len(data):
                        raise OSError(errno.ENOSPC, "the entry was written in part (a full disk?)")
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise JournalError(f"cannot write {self.where}: {exc.strerror or exc}.") from None

    def entries(self, last: int | None = None) -> list[JournalEntry]:
        found: list[JournalEntry] = []
        skipped = 0
        self.skipped = 0
        try:
            with self._locked():
                for path in (self.folder / f"{JOURNAL_FILE}.1", self.path):
                    for line in self._lines(path):
                        try:
                            found.append(JournalEntry.from_json(json.loads(line)))
                        except (ValueError, TypeError, KeyError, RecursionError):
                            skipped += 1
        except OSError as exc:
            raise JournalError(f"cannot read {self.where}: {exc.strerror or exc}.") from None
        self.skipped = skipped
        if skipped:
            logger.warning("%s: %d line(s) that are not journal entries were skipped", self.where, skipped)
        return found if last is None else found[-last:] if last > 0 else []

    def _lines(self, path: Path) -> list[bytes]:
        """The complete lines of the last ``max_bytes`` of ``path`` (none when it is missing)."""
        try:
            fd = _open_regular(path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(fd).st_size
            start = max(size - self.max_bytes, 0)
            handle.seek(start)
            data = handle.read(self.max_bytes)
        lines = data.split(b"\n")
        if start:
            lines = lines[1:]  # the first may be the end of a line cut off
        return [line for line in lines if line.strip()]


class LedgerJournal:
    """The journal in the ledger's ``key_changes`` table."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.where = f"the ledger {ledger.location.shown}"

    def check(self) -> None:
        self.ledger.query("SELECT COUNT(*) FROM key_changes WHERE change_id = ?", ("",))

    def append(self, entry: JournalEntry) -> None:
        row = entry.to_json()
        with self.ledger.write("record a change to a key in the ledger") as tx:
            tx.execute(
                "INSERT INTO key_changes (change_id, changed_at, actor, account, key_hash, key_name, action, "
                "outcome, before_json, after_json, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}",  # in the order written
                    row["at"],
                    row["actor"],
                    row["account"],
                    row["key_hash"],
                    row["key_name"],
                    row["action"],
                    row["outcome"],
                    json.dumps(row["before"], sort_keys=True),
                    json.dumps(row["after"], sort_keys=True),
                    row["reason"],
                ),
            )

    def entries(self, last: int | None = None) -> list[JournalEntry]:
        sql = (
            "SELECT changed_at, actor, account, key_hash, key_name, action, outcome, before_json, after_json, reason "
            "FROM key_changes ORDER BY change_id DESC"
        )
        params: tuple[Any, ...] = ()
        if last is not None:
            sql += " LIMIT ?"
            params = (max(last, 0),)
        rows = self.ledger.query(sql, params)
        entries = []
        for at, actor, account, key_hash, key_name, action, outcome, before, after, reason in reversed(rows):
            moment = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
            entries.append(
                JournalEntry(
                    at=moment,
                    actor=actor,
                    key_hash=key_hash,
                    key_name=key_name,
                    action=action,
                    outcome=outcome,
                    before=json.loads(before),
                    after=json.loads(after),
                    reason=reason,
                    account=account,
                )
            )
        return entries


def outcome_of(error: BaseException) -> str:
    """The outcome of a change that raised ``error``: ``failed`` when it was surely not made (refused
    before any I/O, or by OpenRouter with a 4xx), else ``unknown`` (an interrupt, a timeout, a dropped
    connection, a 5xx, an answer that could not be read: the change may have been made; a retried
    request may have reached OpenRouter before the last attempt failed)."""
    from .._exceptions import APIStatusError, ConfigurationError

    if isinstance(error, ConfigurationError):
        return "failed"
    if isinstance(error, APIStatusError) and 400 <= error.status_code < 500:
        return "failed"
    return "unknown"


def unknown_reason(what: str) -> str:
    """The reason of an ``unknown`` entry: that it may have been made and how to see the key as it is,
    then what happened (``what``)."""
    return f"{UNKNOWN_ADVICE}: {what}"


def value_text(field: str, value: Any) -> str:
    """A key's field as people read it: ``$20.00``, ``none`` (no limit), ``never`` (no reset), ``true``."""
    from .._format import money

    if field == "limit":
        return "none" if value is None else money(float(value)) if isinstance(value, int | float) else str(value)
    if field == "limit_reset":
        return "never" if value is None else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "none" if value is None else str(value)


def changes_text(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """``disabled false → true, limit $20.00 → $9.00``: each field ``after`` sets, as it was and is."""
    return ", ".join(
        f"{field} {value_text(field, before.get(field))} → {value_text(field, value)}" for field, value in after.items()
    )
