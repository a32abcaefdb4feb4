"""What the guards remember across polls and restarts: ``guard.json`` in the state directory.

- The restores owed (``_guard.Pending``): a change made with ``restore = "at_reset"``, undone at its
  time whatever the file says by then.
- Each guard's attempts over the last hour (failed, done or dry-run), which ``max_actions_per_hour``
  caps.
- Each guard's episodes: the keys it acted on while their condition holds (acted on once, until it
  clears).

A file that is not what this module writes is set aside (``StateDir.load_json``) and the guards start
afresh; writes are made off the event loop (``StateFile``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from ._guard import Pending
from ._statedir import StateFile

if TYPE_CHECKING:
    from .._apps.guard_config import GuardSpec
    from ._statedir import StateDir

__all__ = ["HOUR", "GuardMemory"]

HOUR = 3600.0


def _valid_state(value: Any) -> bool:
    if not isinstance(value, dict) or set(value) - {"pending", "attempts", "episodes"}:
        return False
    pending = value.get("pending", [])
    if not isinstance(pending, list):
        return False
    for item in pending:
        Pending.from_json(item)  # raises for anything else: the file is set aside
    attempts = value.get("attempts", {})
    episodes = value.get("episodes", {})
    return (
        isinstance(attempts, dict)
        and all(isinstance(t, list) and all(isinstance(x, int | float) for x in t) for t in attempts.values())
        and isinstance(episodes, dict)
        and all(isinstance(e, list) and all(isinstance(x, str) for x in e) for e in episodes.values())
    )


class GuardMemory:
    """The guards' restores owed, attempts and episodes, in ``state``'s ``guard.json`` (None: in memory
    only). ``changed()`` after each change; ``flush()`` writes what changed."""

    FILE = "guard.json"

    def __init__(self, state: StateDir | None) -> None:
        loaded = None if state is None else state.load_json(self.FILE, _valid_state)
        loaded = loaded or {}
        self.pending: list[Pending] = [Pending.from_json(item) for item in loaded.get("pending", [])]
        self.attempts: dict[str, list[float]] = {
            k: [float(t) for t in v] for k, v in loaded.get("attempts", {}).items()
        }
        self.episodes: dict[str, set[str]] = {k: set(v) for k, v in loaded.get("episodes", {}).items()}
        self._file: StateFile[dict[str, Any]] = StateFile(
            None if state is None else state.file(self.FILE),
            self._snapshot,
            lambda snapshot: snapshot,
            what="the guards' state",
        )

    def _snapshot(self) -> dict[str, Any]:
        return {
            "pending": [pending.to_json() for pending in self.pending],
            "attempts": {name: list(times) for name, times in self.attempts.items()},
            "episodes": {name: sorted(hashes) for name, hashes in self.episodes.items()},
        }

    def changed(self) -> None:
        self._file.changed()

    async def flush(self) -> None:
        await self._file.flush()

    def forget(self, guards: Collection[str]) -> None:
        """Keep the attempts and episodes of ``guards`` only (the restores owed stay: a change made is
        undone whatever the file says now)."""
        for table in (self.attempts, self.episodes):
            for name in [name for name in table if name not in guards]:
                del table[name]

    def may_attempt(self, spec: GuardSpec, now: float) -> bool:
        """Whether ``spec`` made fewer than ``max_actions_per_hour`` attempts in the hour before ``now``."""
        times = [t for t in self.attempts.get(spec.name, []) if now - t < HOUR]
        self.attempts[spec.name] = times
        return len(times) < spec.max_actions_per_hour

    def attempted(self, guard: str, now: float) -> None:
        self.attempts.setdefault(guard, []).append(now)

    def acted_on(self, guard: str, key_hash: str) -> None:
        """``guard`` acted on the key (or said what it would do): not again until its condition clears."""
        self.episodes.setdefault(guard, set()).add(key_hash)

    def owed(self, guard: str) -> int:
        """The restores ``guard`` owes."""
        return sum(p.guard == guard for p in self.pending)
