"""The outbox: alerts waiting for their channels, persisted so that none is lost to a crash or a
restart (the ``Deliverer``, in ``_delivery``, empties it).

Delivery is at least once:

- ``await Outbox.flush()`` returns once the entries put before it are in the outbox file (written
  atomically, fsynced, in a worker thread: the alerts of one poll make one write); the exporter
  awaits it before it moves the keys' alert states, and an entry leaves the file only after its
  channel took it. Entries left by a previous run are delivered on start.
- The exporter puts a poll's alerts ``held``, and releases them once the alert states are written
  too: a receiver never hears of an alert whose state a crash could still take back.

The outbox is bounded: a newer alert about the same thing (``Alert.about``: a key's, or a listed
key's, threshold) replaces one still waiting for the same channel (only the current state matters);
an entry older than ``max_age`` (24 h) is dropped; past ``max_entries`` (10,000) the oldest are. Every
entry dropped is counted by channel (``dropped``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from .. import _defaults
from .._logging import EXPORTER_LOGGER
from ._alert import Alert
from ._statedir import StateFile, read_json

__all__ = ["Entry", "Outbox"]

_logger = logging.getLogger(EXPORTER_LOGGER)

#: The outbox file's format (1: without ``created``, still read); a file of another version is moved
#: aside like a corrupt one.
OUTBOX_VERSION = 2


@attrs.frozen
class Entry:
    """One alert for one channel, waiting in the outbox since ``created`` (seconds since the epoch)."""

    id: str
    channel: str
    alert: Alert
    created: float


ALERT_FIELDS = tuple(field.name for field in attrs.fields(Alert))
#: The fields every stored alert has (those of version 1); the others may be absent.
REQUIRED_ALERT_FIELDS = ("key", "state", "title", "text", "severity")


def _entries_json(entries: Sequence[Entry]) -> dict[str, Any]:
    """The outbox file's document (built in the writer's thread, from a snapshot of the entries)."""
    return {
        "version": OUTBOX_VERSION,
        "entries": [
            {"id": e.id, "channel": e.channel, "created": e.created, "alert": attrs.asdict(e.alert)} for e in entries
        ],
    }


def _valid_outbox(value: Any) -> bool:
    """The outbox file's shape: {"version": 2, "entries": [{"id", "channel", "created", "alert": {...}}]}
    (version 1: no "created")."""
    if not isinstance(value, dict) or value.get("version") not in (1, OUTBOX_VERSION):
        return False
    entries = value.get("entries")
    if not isinstance(entries, list):
        return False
    fields = {"id", "channel", "alert"} if value["version"] == 1 else {"id", "channel", "alert", "created"}
    for item in entries:
        if not isinstance(item, dict) or set(item) != fields:
            return False
        alert = item["alert"]
        if not isinstance(item["id"], str) or not isinstance(item["channel"], str) or not isinstance(alert, dict):
            return False
        created = item.get("created", 0.0)
        if isinstance(created, bool) or not isinstance(created, int | float):
            return False
        if not set(REQUIRED_ALERT_FIELDS) <= set(alert) <= set(ALERT_FIELDS):
            return False
        if not all(isinstance(value, str) for value in alert.values()):
            return False
        Alert(**alert)  # a wrong severity raises ValueError: the file counts as corrupt
    return True


class Outbox:
    """Alerts waiting for their channels, kept in ``path`` (None: in memory only), oldest first, bounded
    (``max_entries``, ``max_age``; a newer alert about the same thing replaces a waiting one).

    Use it from the event loop's thread: listeners are called synchronously on each change; the file is
    written off the loop (``flush()``)."""

    def __init__(
        self,
        path: Path | None,
        *,
        clock: Callable[[], float] = time.time,
        max_entries: int = _defaults.MAX_OUTBOX_ENTRIES,
        max_age: float = _defaults.MAX_ALERT_AGE,
        logger: logging.Logger = _logger,
    ) -> None:
        self.path = path
        self.clock = clock
        self.max_entries = max_entries
        self.max_age = max_age
        self.logger = logger
        self._entries: dict[str, Entry] = {}
        self._about: dict[tuple[str, str], str] = {}  # (channel, alert.about) -> the entry waiting
        self._held: set[str] = set()  # entries not to be delivered yet (``release``)
        self._listeners: list[Callable[[str], None]] = []
        #: Alerts given up on, by channel (openrouter_credits_alerts_dropped_total).
        self.dropped: dict[str, int] = {}
        self._file: StateFile[tuple[Entry, ...]] = StateFile(
            path, lambda: tuple(self._entries.values()), _entries_json, what="the alert outbox"
        )
        if path is not None:
            loaded = read_json(path, _valid_outbox, clock=clock)
            now = clock()
            for item in [] if loaded is None else loaded["entries"]:
                self._add(Entry(item["id"], item["channel"], Alert(**item["alert"]), item.get("created", now)))

    def put(self, alert: Alert, channels: Iterable[str]) -> list[Entry]:
        """Queue ``alert`` for each of ``channels`` (in memory at once; in the file by ``flush()``)."""
        return self.put_all([(alert, channels)])

    def put_all(self, alerts: Iterable[tuple[Alert, Iterable[str]]], *, held: bool = False) -> list[Entry]:
        """Queue each alert for its channels: one change of the file for them all. ``held``: kept from
        delivery (``entries()`` leaves them out) until ``release()``; in the file all the same."""
        now = self.clock()
        added = [Entry(uuid.uuid4().hex, channel, alert, now) for alert, channels in alerts for channel in channels]
        for entry in added:
            self._add(entry)
        if held:
            self._held.update(entry.id for entry in added)
        self._bound(now)
        self._file.changed()
        if not held:
            self._notify_all(added)
        return added

    def release(self, entries: Iterable[Entry]) -> None:
        """Let held entries go to their channels."""
        released = [entry for entry in entries if entry.id in self._held]
        self._held.difference_update(entry.id for entry in released)
        self._notify_all(released)

    async def flush(self) -> None:
        """Return once every change made so far is in the file (or its write failed, logged)."""
        await self._file.flush()

    def remove(self, entry_ids: str | Iterable[str]) -> None:
        """Forget delivered entries (the file is written soon after)."""
        removed = self._pop([entry_ids] if isinstance(entry_ids, str) else entry_ids)
        if removed:
            self._file.changed()
            for channel in dict.fromkeys(entry.channel for entry in removed):
                self._notify(channel)

    def drop(self, entries: Sequence[Entry], why: str) -> None:
        """Give up on ``entries`` (of one channel or several): forgotten, counted, one warning each channel."""
        removed = self._pop(entry.id for entry in entries)
        by_channel: dict[str, list[Entry]] = {}
        for entry in removed:
            by_channel.setdefault(entry.channel, []).append(entry)
        for channel, gone in by_channel.items():
            self.dropped[channel] = self.dropped.get(channel, 0) + len(gone)
            self.logger.warning(
                "Dropped %s for channel %s: %s (%s)",
                "an alert" if len(gone) == 1 else f"{len(gone)} alerts",
                channel,
                why,
                gone[0].alert.title if len(gone) == 1 else f"the first: {gone[0].alert.title}",
            )
        if removed:
            self._file.changed()
            for channel in by_channel:
                self._notify(channel)

    def expire(self) -> None:
        """Drop the entries older than ``max_age``: their news is stale."""
        limit = self.clock() - self.max_age
        old = [entry for entry in self._entries.values() if entry.created < limit and entry.id not in self._held]
        if old:
            self.drop(old, f"undelivered for more than {self.max_age / 3600:g} h")

    def entries(self, channel: str | None = None) -> list[Entry]:
        """The entries waiting for delivery (held ones left out), oldest first: all, or those of one channel."""
        held = self._held
        return [
            entry
            for entry in self._entries.values()
            if (channel is None or entry.channel == channel) and (not held or entry.id not in held)
        ]

    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(channel)`` whenever an entry of ``channel`` is added or removed."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` no more."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def __len__(self) -> int:
        return len(self._entries)

    def _add(self, entry: Entry) -> None:
        about = entry.alert.about
        if about:
            superseded = self._about.get((entry.channel, about))
            if superseded is not None:
                self._entries.pop(superseded, None)  # only the current state matters
                self._held.discard(superseded)
            self._about[(entry.channel, about)] = entry.id
        self._entries[entry.id] = entry

    def _pop(self, entry_ids: Iterable[str]) -> list[Entry]:
        removed = []
        for entry_id in entry_ids:
            entry = self._entries.pop(entry_id, None)
            self._held.discard(entry_id)
            if entry is None:
                continue
            removed.append(entry)
            key = (entry.channel, entry.alert.about)
            if entry.alert.about and self._about.get(key) == entry.id:
                del self._about[key]
        return removed

    def _bound(self, now: float) -> None:
        self.expire()
        excess = len(self._entries) - self.max_entries
        if excess > 0:
            oldest = list(self._entries.values())[:excess]
            self.drop(oldest, f"the outbox holds at most {self.max_entries} alerts; these were the oldest")

    def _notify(self, channel: str) -> None:
        for listener in self._listeners:
            listener(channel)

    def _notify_all(self, entries: Iterable[Entry]) -> None:
        for channel in dict.fromkeys(entry.channel for entry in entries):
            self._notify(channel)
