"""What the guards record of what they did, and how they say it: the journal, the last actions, the
counters on /metrics, the alerts' form.

- The journal (``_apps.journal``: the ledger, else the state directory) takes an entry for each
  action, dry run, failure, restore and skipped restore. ``ready()`` is asked before a change is made:
  a change is never made unjournaled. An entry that cannot be written after the change is logged
  (the change stands).
- The last ``RECENT`` entries of each guard, for the status page.
- ``openrouter_credits_guard_actions_total{guard, action}`` and
  ``openrouter_credits_guard_action_failures_total``, each action shown from 0; with the restores owed
  and the mode, the guards' series (``families``).
- Each alert is an event (an action, its failure, its undoing; ``guard_alert``), in words that never
  hold a key (``failure_text``: the library's errors are redacted).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._apps.journal import JournalEntry
from .._exceptions import OpenRouterCreditsError
from .._logging import EXPORTER_LOGGER
from ._alert import Alert, Severity

if TYPE_CHECKING:
    from .._apps.config_file import KeySpec
    from .._apps.guard_config import GuardSpec
    from .._apps.journal import Journal
    from .._apps.metrics import Family
    from ._guard import Pending

__all__ = ["RECENT", "GuardRecord", "Notify", "failure_text", "guard_alert"]

logger = logging.getLogger(EXPORTER_LOGGER)

#: The last actions each guard keeps for the status page.
RECENT = 5
#: How a guard's alert goes to the listing key's channels (the exporter's ``AlertQueue.notify``).
Notify = Callable[["KeySpec", Alert], Awaitable[None]]


def guard_alert(account: KeySpec, title: str, text: str, severity: Severity) -> Alert:
    """A guard's alert, to ``account``'s channels."""
    # Each is an event (an action, its failure, its undoing), never replaced by a newer one: about "".
    return Alert(account.name, "guard", title, text, severity)


def failure_text(error: Exception) -> str:
    """An action's failure in a sentence (never a key: the library's errors are redacted)."""
    if isinstance(error, OpenRouterCreditsError):
        return error.describe({})
    return f"{type(error).__name__}: {error}"


class GuardRecord:
    """The guards' journal (``journal``; None: not journaled, in tests without a state directory), their
    last entries and their counters."""

    def __init__(self, journal: Journal | None) -> None:
        self.journal = journal
        self.recent: dict[str, deque[JournalEntry]] = {}
        self.actions: dict[tuple[str, str], int] = {}
        self.failures: dict[tuple[str, str], int] = {}
        self._failing = False

    def reload(self, specs: Sequence[GuardSpec]) -> None:
        """Count ``specs``' actions from 0 (the others' counts stay); forget the last entries of guards
        no longer there."""
        names = {spec.name for spec in specs}
        for name in [name for name in self.recent if name not in names]:
            del self.recent[name]
        for spec in specs:
            for action in _counted_actions(spec):
                self.actions.setdefault((spec.name, action), 0)
                if not action.startswith("would_"):  # a dry run sends nothing that could fail
                    self.failures.setdefault((spec.name, action), 0)

    async def ready(self, guard: str) -> bool:
        """Whether the journal can take an entry now (a change is never made unjournaled)."""
        if self.journal is None:
            return True
        try:
            await asyncio.to_thread(self.journal.check)
        except Exception as error:
            if not self._failing:
                logger.error("Guard %s: not acting: %s cannot be written (%s)", guard, self.journal.where, error)
            self._failing = True
            return False
        self._failing = False
        return True

    def entry(
        self,
        guard: str,
        account: KeySpec,
        key_hash: str,
        key_name: str,
        action: str,
        outcome: str,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        reason: str,
        when: dt.datetime,
    ) -> JournalEntry:
        """The journal's entry of one change by ``guard`` (``write()`` or ``write_now()`` records it)."""
        return JournalEntry(
            at=when,
            actor=guard,
            key_hash=key_hash,
            key_name=key_name,
            action=action,
            outcome=outcome,
            before=dict(before),
            after=dict(after),
            reason=reason,
            account=account.name,
        )

    async def write(self, entry: JournalEntry) -> None:
        """``entry`` kept among its guard's last, and written to the journal (off the event loop)."""
        self._keep(entry)
        if self.journal is not None:
            await asyncio.to_thread(self._append, entry)

    def write_now(self, entry: JournalEntry) -> None:
        """``entry`` recorded as ``write()`` does, written in this thread: for a task being cancelled
        (``serve`` stopping while a change was sent), which may not wait for anything any more."""
        self._keep(entry)
        if self.journal is not None:
            self._append(entry)

    def _keep(self, entry: JournalEntry) -> None:
        self.recent.setdefault(entry.actor, deque(maxlen=RECENT)).append(entry)

    def _append(self, entry: JournalEntry) -> None:
        assert self.journal is not None
        try:
            self.journal.append(entry)
        except Exception as error:  # a full disk, a ledger gone: the action stands, logged
            logger.error(
                "Guard %s: the journal entry could not be written to %s: %s", entry.actor, self.journal.where, error
            )

    def acted(self, guard: str, action: str) -> None:
        self.actions[(guard, action)] = self.actions.get((guard, action), 0) + 1

    def failed(self, guard: str, action: str) -> None:
        self.failures[(guard, action)] = self.failures.get((guard, action), 0) + 1

    def families(self, specs: Mapping[str, GuardSpec], pending: Sequence[Pending]) -> list[Family]:
        """The guards' series: actions and failures (counters), restores owed and the mode (gauges)."""
        from .._apps.metrics import Family

        def samples(table: Mapping[tuple[str, str], int]) -> list[tuple[dict[str, str], float]]:
            return [({"guard": g, "action": a}, float(n)) for (g, a), n in sorted(table.items())]

        owed = [({"guard": name}, float(sum(p.guard == name for p in pending))) for name in specs]
        modes = [({"guard": name}, 1.0 if spec.dry_run else 0.0) for name, spec in specs.items()]
        return [
            Family(
                "openrouter_credits_guard_actions_total",
                "Changes a guard made to keys (disable, limit; enable, restore_limit when undoing them), and in a "
                "dry run what it would have done (would_disable, would_limit).",
                "counter",
                samples(self.actions),
            ),
            Family(
                "openrouter_credits_guard_action_failures_total",
                "Changes a guard tried and OpenRouter refused or failed (tried again while the condition holds).",
                "counter",
                samples(self.failures),
            ),
            Family(
                "openrouter_credits_guard_pending_restores",
                "Changes a guard made and will undo at the window's reset.",
                "gauge",
                owed,
            ),
            Family(
                "openrouter_credits_guard_dry_run", "1 when a guard is a dry run (it changes nothing).", "gauge", modes
            ),
        ]


def _counted_actions(spec: GuardSpec) -> tuple[str, ...]:
    """The ``action`` label values of a guard's series, each shown from 0."""
    if spec.action == "disable":
        return ("disable", "enable", "would_disable")
    return ("limit", "restore_limit", "would_limit")
