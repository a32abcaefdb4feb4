"""The guards of ``serve`` at work: after a poll whose listing of the account's keys is fresh, each guard
decides about each key (``_guard``), then acts, says so, and remembers.

- An action: in a dry run (the default) nothing is sent; otherwise a ``PATCH /keys/{hash}``
  (``update_key()``, idempotent: retried on a 5xx or a network error). Either way: an alert through
  the listing key's channels in plain words, a log line, ``openrouter_credits_guard_actions_total
  {guard, action}`` (``disable``, ``limit``; ``would_disable``, ``would_limit`` in a dry run; ``enable``,
  ``restore_limit`` for the undoing) and an entry in the journal (``_apps.journal``: the ledger, else
  the state directory; ``_guard_record`` keeps the journal and the counters). The journal is checked
  before a change is made: a change is never made unjournaled.
- A failed action (a 403, a 5xx after retries) alerts that it failed, is journaled ``failed`` (a
  refusal: not made) or ``unknown`` (a timeout, a dropped connection, a 5xx: it may have been made;
  the alert says so), counted in ``openrouter_credits_guard_action_failures_total``, and is tried
  again at the next poll while its condition holds (the change is idempotent). A PATCH in flight
  when ``serve`` stops (its task cancelled) is journaled ``unknown`` before the task ends.
  ``max_actions_per_hour`` counts a guard's attempts (failed, done or dry-run) over the last hour;
  past it the guard holds back, saying so once an hour.
- A guard acts on a key once while its condition holds (the key is disabled then, or the guard owes
  its restore); a dry run likewise says once what it would do, until the condition clears.
- Pending restores (``guard.json`` in the state directory, with the attempts and the episodes:
  ``_guard_memory``) survive a restart; they are done at their time (``_guard_restores``), before the
  guards' new actions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._apps.guard_config import GuardSpec
from .._apps.journal import SEE_THE_KEY, outcome_of, unknown_reason
from .._apps.key_choice import own_test
from .._logging import EXPORTER_LOGGER
from .._text import shown
from ._guard import (
    Figures,
    Pending,
    Plan,
    Refusal,
    acted_words,
    command_ref,
    failed_words,
    plan,
    selected,
    trigger,
)
from ._guard_memory import HOUR, GuardMemory
from ._guard_record import GuardRecord, Notify, failure_text, guard_alert
from ._guard_restores import Restores

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._apps.config_file import KeySpec
    from .._apps.journal import Journal, JournalEntry
    from .._apps.metrics import Family
    from .._client import AsyncCreditsClient
    from ._statedir import StateDir

__all__ = ["GuardView", "Guards"]

logger = logging.getLogger(EXPORTER_LOGGER)


class GuardView:
    """A guard as the status page shows it: its rule, mode, restores owed, problems and last actions.
    Its rule is put in words when the page's guard section is rendered (where a failure is that
    section's alone)."""

    __slots__ = ("last", "name", "pending", "problems", "spec")

    def __init__(self, spec: GuardSpec, pending: int, problems: Sequence[str], last: Sequence[JournalEntry]) -> None:
        self.spec = spec
        self.name = spec.name
        self.pending = pending
        self.problems = tuple(problems)
        self.last = tuple(last)

    @property
    def mode(self) -> str:
        return self.spec.mode

    @property
    def rule(self) -> str:
        return self.spec.rule()


class Guards:
    """The guards of the config file, their state (in ``state``'s ``guard.json``, or in memory) and
    where their changes are journaled (``journal``; None: not journaled, in tests without a state
    directory). ``clock`` is the exporter's (seconds since the epoch)."""

    def __init__(
        self,
        specs: Sequence[GuardSpec],
        state: StateDir | None,
        journal: Journal | None,
        *,
        clock: Callable[[], float],
    ) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self.clock = clock
        self.memory = GuardMemory(state)
        self.record = GuardRecord(journal)
        self.restores = Restores(self.memory, self.record)
        #: (guard, key hash, why): refusals logged once.
        self._refused: set[tuple[str, str, str]] = set()
        self._problems: dict[str, dict[str, str]] = {}
        #: When each guard last said it holds back (max_actions_per_hour).
        self._held_said: dict[str, float] = {}
        #: Each guard's selection of the keys seen (``_guard.selected``), bounded by the listing.
        self._selections: dict[GuardSpec, dict[tuple[str, ...], bool]] = {}
        self.reload(specs)

    @property
    def pending(self) -> list[Pending]:
        """The restores owed, of every guard (those of a guard no longer in the file too)."""
        return self.memory.pending

    def reload(self, specs: Sequence[GuardSpec]) -> None:
        """Use ``specs`` from now on; a guard no longer there forgets its attempts and episodes (the
        restores it owes stay: a change made is undone whatever the file says now)."""
        self.specs = {spec.name: spec for spec in specs}
        self.memory.forget(self.specs)
        self.record.reload(specs)
        for name in [name for name in self._problems if name not in self.specs]:
            del self._problems[name]
        self._selections = {spec: memo for spec, memo in self._selections.items() if spec in specs}
        self.memory.changed()

    async def flush(self) -> None:
        await self.memory.flush()

    # --- a poll ------------------------------------------------------------------------------------

    async def run(
        self,
        account: KeySpec,
        listing: Sequence[ApiKey],
        client: AsyncCreditsClient,
        *,
        own_label: str | None,
        complete: bool,
        notify: Notify,
    ) -> None:
        """Everything the guards do after a fresh listing of ``account`` (``complete``: every
        workspace's keys): restores due, then each guard's actions."""
        if not self.specs and not any(p.account == account.name for p in self.pending):
            return
        now = self.clock()
        when = dt.datetime.fromtimestamp(now, dt.UTC)
        by_hash = {key.hash_: key for key in listing}
        names: dict[str, int] = {}
        for key in listing:
            names[key.name] = names.get(key.name, 0) + 1
        own = own_test(account.api_key, own_label)

        def ref(key_name: str, key_hash: str) -> str:
            return command_ref(key_name, key_hash, names.get(key_name, 0) == 1)

        await self.restores.run(account, by_hash, client, complete, now, when, notify)
        specs = list(self.specs.values())
        episodes = [self.memory.episodes.setdefault(spec.name, set()) for spec in specs]
        owed = [{p.key_hash for p in self.pending if p.guard == spec.name} for spec in specs]
        memos = [self._selections.setdefault(spec, {}) for spec in specs]
        for key in listing:  # each key's figures worked out once, for all the guards
            figures = Figures(key, when)
            for spec, episode, owes, memo in zip(specs, episodes, owed, memos, strict=True):
                if key.hash_ in episode or key.hash_ in owes:  # acted on already: has the condition cleared?
                    if key.hash_ in episode and (
                        not selected(spec, key, memo) or trigger(spec, key, when, figures) is None
                    ):
                        episode.discard(key.hash_)  # the next time it holds is a new episode
                        self.memory.changed()
                    continue
                decision = plan(spec, key, when, own, figures, memo)
                if decision is None:
                    continue
                if isinstance(decision, Refusal):
                    self._refuse(spec, decision)
                    continue
                if not self.memory.may_attempt(spec, now):
                    await self._held(spec, account, key, now, notify)
                    continue
                await self._act(spec, account, decision, client, now, when, notify, ref)
        for memo in memos:
            if len(memo) > 2 * len(listing) + 100:  # keys gone or renamed: start the memo afresh
                memo.clear()
        await self.memory.flush()

    def _refuse(self, spec: GuardSpec, refusal: Refusal) -> None:
        said = (spec.name, refusal.key.hash_, refusal.why)
        problems = self._problems.setdefault(spec.name, {})
        problems[refusal.key.hash_] = f"key {shown(refusal.key.name)}: {refusal.why}"
        if said not in self._refused:
            self._refused.add(said)
            logger.error("[guard.%s]: not acting on key %s: %s", spec.name, shown(refusal.key.name), refusal.why)

    async def _held(self, spec: GuardSpec, account: KeySpec, key: ApiKey, now: float, notify: Notify) -> None:
        said = self._held_said.get(spec.name)
        if said is not None and now - said < HOUR:
            return
        self._held_said[spec.name] = now
        text = (
            f"Guard {spec.name} made {spec.max_actions_per_hour} attempts in the last hour (max_actions_per_hour): it "
            f"holds back, and key {shown(key.name)} is not acted on for now."
        )
        logger.warning("%s", text)
        await notify(account, guard_alert(account, f"Guard {spec.name} holds back", text, "warning"))

    async def _act(
        self,
        spec: GuardSpec,
        account: KeySpec,
        decision: Plan,
        client: AsyncCreditsClient,
        now: float,
        when: dt.datetime,
        notify: Notify,
        ref: Callable[[str, str], str],
    ) -> None:
        key = decision.key
        action = "disable" if "disabled" in decision.fields else "limit"
        workspace = key.workspace_name
        words = functools.partial(
            acted_words,
            spec,
            key.name,
            workspace,
            decision.reason,
            decision.fields,
            decision.before,
            decision.restore_at,
            when,
            ref(key.name, key.hash_),
        )

        def change(outcome: str, after: Mapping[str, Any], reason: str) -> JournalEntry:
            return self.record.entry(
                spec.name, account, key.hash_, key.name, action, outcome, decision.before, after, reason, when
            )

        if spec.dry_run:
            self.memory.attempted(spec.name, now)
            self.memory.acted_on(spec.name, key.hash_)
            self.memory.changed()
            self.record.acted(spec.name, f"would_{action}")
            title, text = words(dry_run=True)
            logger.info("Guard %s: %s", spec.name, text)
            await self.record.write(change("dry_run", decision.fields, decision.reason))
            await notify(account, guard_alert(account, title, text, "warning"))
            return
        if not await self.record.ready(spec.name):
            return
        self.memory.attempted(spec.name, now)
        self.memory.changed()
        try:
            changed = await client.update_key(key.hash_, **decision.fields)
        except asyncio.CancelledError:  # serve stops (or reloads) while it was sent: it may have been made
            reason = unknown_reason(f"{decision.reason}; serve stopped while it was sent.")
            self.record.write_now(change("unknown", decision.fields, reason))
            raise
        except Exception as error:
            why = failure_text(error)
            outcome = outcome_of(error)
            reason = f"{decision.reason}; {why}"
            self.record.failed(spec.name, action)
            if outcome == "unknown":
                why, reason = f"{why} It may have been made: {SEE_THE_KEY}.", unknown_reason(reason)
            title, text = failed_words(spec, key.name, workspace, decision.fields, why)
            logger.warning("Guard %s: %s", spec.name, text)
            await self.record.write(change(outcome, decision.fields, reason))
            await notify(account, guard_alert(account, title, text, "warning"))
            return
        self.memory.acted_on(spec.name, key.hash_)
        if decision.restore_at is not None:
            self.pending.append(
                Pending(
                    spec.name,
                    account.name,
                    key.hash_,
                    key.name,
                    workspace,
                    dict(decision.fields),
                    dict(decision.before),
                    decision.restore_at.timestamp(),
                    now,
                )
            )
        self.memory.changed()
        self.record.acted(spec.name, action)
        after = {field: getattr(changed, field) for field in decision.fields}
        title, text = words(dry_run=False)
        logger.warning("Guard %s: %s", spec.name, text)
        await self.record.write(change("done", after, decision.reason))
        await notify(account, guard_alert(account, title, text, "warning"))

    # --- what is shown ---------------------------------------------------------------------------------

    def families(self) -> list[Family]:
        """The guards' series: actions and failures (counters), restores owed and the mode (gauges)."""
        return self.record.families(self.specs, self.pending)

    def views(self) -> tuple[GuardView, ...]:
        return tuple(
            GuardView(
                spec,
                self.memory.owed(name),
                list(self._problems.get(name, {}).values()),
                list(self.record.recent.get(name, ())),
            )
            for name, spec in self.specs.items()
        )
