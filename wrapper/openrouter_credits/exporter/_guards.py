"""The guards of ``serve`` at work: after a poll whose listing of the account's keys is fresh, each guard
decides about each key (``_guard``), then acts, says so, and remembers.

- An action: in a dry run (the default) nothing is sent; otherwise a ``PATCH /keys/{hash}``
  (``update_key()``, idempotent: retried on a 5xx or a network error). Either way: an alert through
  the listing key's channels in plain words, a log line, ``openrouter_credits_guard_actions_total
  {guard, action}`` (``disable``, ``limit``; ``would_disable``, ``would_limit`` in a dry run; ``enable``,
  ``restore_limit`` for the undoing) and an entry in the journal (``_apps.journal``: the ledger, else
  the state directory). The journal is checked before a change is made: a change is never made
  unjournaled.
- A failed action (a 403, a 5xx after retries) alerts that it failed, is journaled ``failed``,
  counted in ``openrouter_credits_guard_action_failures_total``, and is tried again at the next poll
  while its condition holds. ``max_actions_per_hour`` counts a guard's attempts (failed, done or
  dry-run) over the last hour; past it the guard holds back, saying so once an hour.
- A guard acts on a key once while its condition holds (the key is disabled then, or the guard owes
  its restore); a dry run likewise says once what it would do, until the condition clears.
- Pending restores (``guard.json`` in the state directory, with the attempts and the episodes) survive
  a restart. A restore is done at its time from the first fresh listing after it, when the key still
  has every field as the guard set it; a person's change since leaves the key alone (journaled
  ``skipped``, alerted). A key missing from a listing that holds only the default workspace's keys is
  waited for, never taken for deleted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._apps.guard_config import GuardSpec
from .._apps.journal import JournalEntry
from .._apps.key_choice import own_test
from .._exceptions import OpenRouterCreditsError
from .._logging import EXPORTER_LOGGER
from .._text import shown
from ._alert import Alert, Severity
from ._guard import (
    Figures,
    Pending,
    Plan,
    Refusal,
    acted_words,
    command_ref,
    failed_words,
    plan,
    restore_step,
    restored_words,
    selected,
    trigger,
)
from ._statedir import StateFile

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._apps.config_file import KeySpec
    from .._apps.journal import Journal
    from .._apps.metrics import Family
    from .._client import AsyncCreditsClient
    from ._statedir import StateDir

__all__ = ["GuardView", "Guards"]

logger = logging.getLogger(EXPORTER_LOGGER)

HOUR = 3600.0
#: The last actions each guard keeps for the status page.
RECENT = 5
Notify = Callable[["KeySpec", Alert], Awaitable[None]]


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


class GuardView:
    """A guard as the status page shows it: its rule, mode, restores owed, problems and last actions."""

    __slots__ = ("last", "mode", "name", "pending", "problems", "rule")

    def __init__(
        self, name: str, mode: str, rule: str, pending: int, problems: Sequence[str], last: Sequence[JournalEntry]
    ) -> None:
        self.name = name
        self.mode = mode
        self.rule = rule
        self.pending = pending
        self.problems = tuple(problems)
        self.last = tuple(last)


class Guards:
    """The guards of the config file, their state (in ``state``'s ``guard.json``, or in memory) and
    where their changes are journaled (``journal``; None: not journaled, in tests without a state
    directory). ``clock`` is the exporter's (seconds since the epoch)."""

    FILE = "guard.json"

    def __init__(
        self,
        specs: Sequence[GuardSpec],
        state: StateDir | None,
        journal: Journal | None,
        *,
        clock: Callable[[], float],
    ) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self.journal = journal
        self.clock = clock
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
        #: (guard, key hash, why): refusals logged once.
        self._refused: set[tuple[str, str, str]] = set()
        self._problems: dict[str, dict[str, str]] = {}
        #: When each guard last said it holds back (max_actions_per_hour).
        self._held_said: dict[str, float] = {}
        #: Restores whose PATCH failed (alerted once, tried at each poll).
        self._restore_failing: set[tuple[str, str]] = set()
        self._recent: dict[str, deque[JournalEntry]] = {}
        self.actions: dict[tuple[str, str], int] = {}
        self.failures: dict[tuple[str, str], int] = {}
        self._journal_failing = False
        #: Each guard's selection of the keys seen (``_guard.selected``), bounded by the listing.
        self._selections: dict[GuardSpec, dict[tuple[str, ...], bool]] = {}
        self.reload(specs)

    def reload(self, specs: Sequence[GuardSpec]) -> None:
        """Use ``specs`` from now on; a guard no longer there forgets its attempts and episodes (the
        restores it owes stay: a change made is undone whatever the file says now)."""
        self.specs = {spec.name: spec for spec in specs}
        for table in (self.attempts, self.episodes, self._recent, self._problems):
            for name in [name for name in table if name not in self.specs]:
                del table[name]
        self._selections = {spec: memo for spec, memo in self._selections.items() if spec in specs}
        for spec in specs:
            for action in _counted_actions(spec):
                self.actions.setdefault((spec.name, action), 0)
                if not action.startswith("would_"):  # a dry run sends nothing that could fail
                    self.failures.setdefault((spec.name, action), 0)
        self._file.changed()

    def _snapshot(self) -> dict[str, Any]:
        return {
            "pending": [pending.to_json() for pending in self.pending],
            "attempts": {name: list(times) for name, times in self.attempts.items()},
            "episodes": {name: sorted(hashes) for name, hashes in self.episodes.items()},
        }

    async def flush(self) -> None:
        await self._file.flush()

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

        await self._restores(account, by_hash, client, complete, now, when, notify, ref)
        specs = list(self.specs.values())
        episodes = [self.episodes.setdefault(spec.name, set()) for spec in specs]
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
                        self._file.changed()
                    continue
                decision = plan(spec, key, when, own, figures, memo)
                if decision is None:
                    continue
                if isinstance(decision, Refusal):
                    self._refuse(spec, decision)
                    continue
                if not self._may_attempt(spec, now):
                    await self._held(spec, account, key, now, notify)
                    continue
                await self._act(spec, account, decision, client, now, when, notify, ref)
        for memo in memos:
            if len(memo) > 2 * len(listing) + 100:  # keys gone or renamed: start the memo afresh
                memo.clear()
        await self._file.flush()

    async def _restores(
        self,
        account: KeySpec,
        by_hash: Mapping[str, ApiKey],
        client: AsyncCreditsClient,
        complete: bool,
        now: float,
        when: dt.datetime,
        notify: Notify,
        ref: Callable[[str, str], str],
    ) -> None:
        for pending in [p for p in self.pending if p.account == account.name]:
            key = by_hash.get(pending.key_hash)
            step = restore_step(pending, key, now)
            if step == "wait" or (step == "gone" and not complete):
                continue
            action = "enable" if "disabled" in pending.set else "restore_limit"
            due = dt.datetime.fromtimestamp(pending.due, dt.UTC)
            if step == "restore":
                assert key is not None
                if not await self._journal_ready(pending.guard):
                    continue
                try:
                    await client.update_key(key.hash_, **pending.previous)
                except Exception as error:
                    await self._restore_failed(account, pending, action, error, when, notify)
                    continue
                self._restore_failing.discard((pending.guard, pending.key_hash))
                self.episodes.get(pending.guard, set()).discard(pending.key_hash)
                outcome, reason = "done", f"its window reset at {due:%Y-%m-%d %H:%M} UTC"
                self._count(self.actions, pending.guard, action)
            else:
                outcome = "skipped"
                reason = "the key is no longer listed" if step == "gone" else "a person changed the key since"
            self.pending.remove(pending)
            self._file.changed()
            title, text = restored_words(pending, step, due, when)
            logger.info("Guard %s: %s", pending.guard, text)
            await self._journal(
                pending.guard,
                account,
                pending.key_hash,
                pending.key_name,
                action,
                outcome,
                dict(pending.set),
                dict(pending.previous) if step == "restore" else {},
                reason,
                when,
            )
            await notify(account, self._alert(account, title, text, "info"))

    async def _restore_failed(
        self, account: KeySpec, pending: Pending, action: str, error: Exception, when: dt.datetime, notify: Notify
    ) -> None:
        said = _said(error)
        self._count(self.failures, pending.guard, action)
        logger.warning(
            "Guard %s: could not undo its change to key %s: %s", pending.guard, shown(pending.key_name), said
        )
        if (pending.guard, pending.key_hash) in self._restore_failing:
            return
        self._restore_failing.add((pending.guard, pending.key_hash))
        await self._journal(
            pending.guard,
            account,
            pending.key_hash,
            pending.key_name,
            action,
            "failed",
            dict(pending.set),
            dict(pending.previous),
            said,
            when,
        )
        text = (
            f"Could not undo guard {pending.guard}'s change to key {shown(pending.key_name)}: {said} It is tried "
            "again at each poll."
        )
        await notify(
            account,
            self._alert(
                account,
                f"Guard {pending.guard} could not undo a change",
                text,
                "warning",
            ),
        )

    def _refuse(self, spec: GuardSpec, refusal: Refusal) -> None:
        said = (spec.name, refusal.key.hash_, refusal.why)
        problems = self._problems.setdefault(spec.name, {})
        problems[refusal.key.hash_] = f"key {shown(refusal.key.name)}: {refusal.why}"
        if said not in self._refused:
            self._refused.add(said)
            logger.error("[guard.%s]: not acting on key %s: %s", spec.name, shown(refusal.key.name), refusal.why)

    def _may_attempt(self, spec: GuardSpec, now: float) -> bool:
        times = [t for t in self.attempts.get(spec.name, []) if now - t < HOUR]
        self.attempts[spec.name] = times
        return len(times) < spec.max_actions_per_hour

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
        await notify(account, self._alert(account, f"Guard {spec.name} holds back", text, "warning"))

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
        if spec.dry_run:
            self.attempts.setdefault(spec.name, []).append(now)
            self.episodes.setdefault(spec.name, set()).add(key.hash_)
            self._file.changed()
            self._count(self.actions, spec.name, f"would_{action}")
            title, text = words(dry_run=True)
            logger.info("Guard %s: %s", spec.name, text)
            await self._journal(
                spec.name,
                account,
                key.hash_,
                key.name,
                action,
                "dry_run",
                decision.before,
                decision.fields,
                decision.reason,
                when,
            )
            await notify(account, self._alert(account, title, text, "warning"))
            return
        if not await self._journal_ready(spec.name):
            return
        self.attempts.setdefault(spec.name, []).append(now)
        self._file.changed()
        try:
            changed = await client.update_key(key.hash_, **decision.fields)
        except Exception as error:
            said = _said(error)
            self._count(self.failures, spec.name, action)
            title, text = failed_words(spec, key.name, workspace, decision.fields, said)
            logger.warning("Guard %s: %s", spec.name, text)
            await self._journal(
                spec.name,
                account,
                key.hash_,
                key.name,
                action,
                "failed",
                decision.before,
                decision.fields,
                f"{decision.reason}; {said}",
                when,
            )
            await notify(account, self._alert(account, title, text, "warning"))
            return
        self.episodes.setdefault(spec.name, set()).add(key.hash_)
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
        self._file.changed()
        self._count(self.actions, spec.name, action)
        after = {field: getattr(changed, field) for field in decision.fields}
        title, text = words(dry_run=False)
        logger.warning("Guard %s: %s", spec.name, text)
        await self._journal(
            spec.name, account, key.hash_, key.name, action, "done", decision.before, after, decision.reason, when
        )
        await notify(account, self._alert(account, title, text, "warning"))

    # --- journal, alerts, counts ----------------------------------------------------------------------

    async def _journal_ready(self, guard: str) -> bool:
        """Whether the journal can take an entry now (a change is never made unjournaled)."""
        if self.journal is None:
            return True
        try:
            await asyncio.to_thread(self.journal.check)
        except Exception as error:
            if not self._journal_failing:
                logger.error("Guard %s: not acting: %s cannot be written (%s)", guard, self.journal.where, error)
            self._journal_failing = True
            return False
        self._journal_failing = False
        return True

    async def _journal(
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
    ) -> None:
        entry = JournalEntry(
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
        self._recent.setdefault(guard, deque(maxlen=RECENT)).append(entry)
        if self.journal is None:
            return
        try:
            await asyncio.to_thread(self.journal.append, entry)
        except Exception as error:  # a full disk, a ledger gone: the action stands, logged
            logger.error("Guard %s: the journal entry could not be written to %s: %s", guard, self.journal.where, error)

    @staticmethod
    def _alert(account: KeySpec, title: str, text: str, severity: Severity) -> Alert:
        # Each is an event (an action, its failure, its undoing), never replaced by a newer one: about "".
        return Alert(account.name, "guard", title, text, severity)

    @staticmethod
    def _count(table: dict[tuple[str, str], int], guard: str, action: str) -> None:
        table[(guard, action)] = table.get((guard, action), 0) + 1

    # --- what is shown ---------------------------------------------------------------------------------

    def families(self) -> list[Family]:
        """The guards' series: actions and failures (counters), restores owed and the mode (gauges)."""
        from .._apps.metrics import Family

        def samples(table: Mapping[tuple[str, str], int]) -> list[tuple[dict[str, str], float]]:
            return [({"guard": g, "action": a}, float(n)) for (g, a), n in sorted(table.items())]

        owed = [({"guard": name}, float(sum(p.guard == name for p in self.pending))) for name in self.specs]
        modes = [({"guard": name}, 1.0 if spec.dry_run else 0.0) for name, spec in self.specs.items()]
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

    def views(self) -> tuple[GuardView, ...]:
        return tuple(
            GuardView(
                name,
                spec.mode,
                spec.rule(),
                sum(p.guard == name for p in self.pending),
                list(self._problems.get(name, {}).values()),
                list(self._recent.get(name, ())),
            )
            for name, spec in self.specs.items()
        )


def _said(error: Exception) -> str:
    """An action's failure in a sentence (never a key: the library's errors are redacted)."""
    if isinstance(error, OpenRouterCreditsError):
        return error.describe({})
    return f"{type(error).__name__}: {error}"


def _counted_actions(spec: GuardSpec) -> tuple[str, ...]:
    """The ``action`` label values of a guard's series, each shown from 0."""
    if spec.action == "disable":
        return ("disable", "enable", "would_disable")
    return ("limit", "restore_limit", "would_limit")
