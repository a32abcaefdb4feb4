"""The changes the guards owe undoing (``restore = "at_reset"``), undone at their time.

- A restore is done from the first fresh listing after its time (``_guard.restore_step``), when the
  key still has every field as the guard set it: ``PATCH /keys/{hash}`` with the values it had
  (``enable``, ``restore_limit``), journaled (checked first: never unjournaled), counted, alerted.
- A person's change since, or the key gone, leaves it alone: journaled ``skipped``, alerted. A key
  missing from a listing that holds only the default workspace's keys is waited for, never taken for
  deleted.
- A restore whose PATCH fails is counted each time, journaled (``failed``, or ``unknown`` when it may
  have been made) and alerted once, and tried again at each poll; one in flight when ``serve`` stops
  is journaled ``unknown`` and stays owed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._apps.journal import outcome_of, unknown_reason
from .._logging import EXPORTER_LOGGER
from .._text import shown
from ._guard import Pending, restore_step, restored_words
from ._guard_record import Notify, failure_text, guard_alert

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._apps.config_file import KeySpec
    from .._apps.journal import JournalEntry
    from .._client import AsyncCreditsClient
    from ._guard_memory import GuardMemory
    from ._guard_record import GuardRecord

__all__ = ["Restores"]

logger = logging.getLogger(EXPORTER_LOGGER)


class Restores:
    """Undoes the changes owed (``memory.pending``), recording each in ``record``."""

    def __init__(self, memory: GuardMemory, record: GuardRecord) -> None:
        self.memory = memory
        self.record = record
        #: Restores whose PATCH failed (alerted once, tried at each poll).
        self._failing: set[tuple[str, str]] = set()

    def _entry(
        self,
        pending: Pending,
        account: KeySpec,
        action: str,
        outcome: str,
        after: Mapping[str, Any],
        reason: str,
        when: dt.datetime,
    ) -> JournalEntry:
        """The journal's entry of undoing ``pending``'s change: from what the guard set to ``after``."""
        return self.record.entry(
            pending.guard,
            account,
            pending.key_hash,
            pending.key_name,
            action,
            outcome,
            pending.set,
            after,
            reason,
            when,
        )

    async def run(
        self,
        account: KeySpec,
        by_hash: Mapping[str, ApiKey],
        client: AsyncCreditsClient,
        complete: bool,
        now: float,
        when: dt.datetime,
        notify: Notify,
    ) -> None:
        """The restores of ``account`` due at ``now``, from its fresh listing (``by_hash``;
        ``complete``: every workspace's keys)."""
        for pending in [p for p in self.memory.pending if p.account == account.name]:
            key = by_hash.get(pending.key_hash)
            step = restore_step(pending, key, now)
            if step == "wait" or (step == "gone" and not complete):
                continue
            action = "enable" if "disabled" in pending.set else "restore_limit"
            due = dt.datetime.fromtimestamp(pending.due, dt.UTC)
            if step == "restore":
                assert key is not None
                if not await self.record.ready(pending.guard):
                    continue
                try:
                    await client.update_key(key.hash_, **pending.previous)
                except asyncio.CancelledError:  # serve stops while it was sent: owed still, it may be done
                    reason = unknown_reason("serve stopped while it was sent; it is tried again at the next start.")
                    self.record.write_now(
                        self._entry(pending, account, action, "unknown", pending.previous, reason, when)
                    )
                    raise
                except Exception as error:
                    await self._failed(account, pending, action, error, when, notify)
                    continue
                self._failing.discard((pending.guard, pending.key_hash))
                self.memory.episodes.get(pending.guard, set()).discard(pending.key_hash)
                outcome, reason = "done", f"its window reset at {due:%Y-%m-%d %H:%M} UTC"
                self.record.acted(pending.guard, action)
            else:
                outcome = "skipped"
                reason = "the key is no longer listed" if step == "gone" else "a person changed the key since"
            self.memory.pending.remove(pending)
            self.memory.changed()
            title, text = restored_words(pending, step, due, when)
            logger.info("Guard %s: %s", pending.guard, text)
            after = pending.previous if step == "restore" else {}
            await self.record.write(self._entry(pending, account, action, outcome, after, reason, when))
            await notify(account, guard_alert(account, title, text, "info"))

    async def _failed(
        self, account: KeySpec, pending: Pending, action: str, error: Exception, when: dt.datetime, notify: Notify
    ) -> None:
        why = failure_text(error)
        self.record.failed(pending.guard, action)
        logger.warning("Guard %s: could not undo its change to key %s: %s", pending.guard, shown(pending.key_name), why)
        if (pending.guard, pending.key_hash) in self._failing:
            return
        self._failing.add((pending.guard, pending.key_hash))
        outcome = outcome_of(error)
        reason = why if outcome == "failed" else unknown_reason(why)
        await self.record.write(self._entry(pending, account, action, outcome, pending.previous, reason, when))
        text = (
            f"Could not undo guard {pending.guard}'s change to key {shown(pending.key_name)}: {why} It is tried "
            "again at each poll."
        )
        await notify(account, guard_alert(account, f"Guard {pending.guard} could not undo a change", text, "warning"))
