"""What a poll makes of a key's status, beyond its figures, and the log lines that tell of a change.

- A failed poll: ``up`` 0, the balance gone (never 0, never stale numbers), the last success time
  kept, the reason kept for /healthz and the page; logged when the key starts failing, and once when
  it succeeds again. A 429 asking to wait past the next poll makes the figures go as well.
- A poll that read only part of what it needs (one call failed) keeps what it read; what it leaves
  unknown is said (``incomplete``), and logged once when a call starts failing and once when it
  answers again.
- The first answer says which of a key's thresholds that kind of key can never check; a listing
  holding only the default workspace's keys, or more keys than ``max_keys``, is logged once.
- Each listed key's team (``_apps.teams``, the one rule), made once per listing; a team's mistake is
  logged once.

/healthz and the page, which anyone who reaches the exporter reads, name a key by its table, never
by a file's path (``public_terms``); the log says the path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from .._apps.config_file import KeySpec
from .._apps.teams import Teams, assign, team_spend, unmatched_workspaces
from .._exceptions import OpenRouterCreditsError
from .._logging import EXPORTER_LOGGER
from .._text import printable
from ._poll import KeyState

__all__ = [
    "FEEDS",
    "assign_teams",
    "failed",
    "note_max_keys",
    "note_workspaces",
    "overdue",
    "public_terms",
    "report_calls",
    "succeeded",
]

logger = logging.getLogger(EXPORTER_LOGGER)

#: What each call of a poll tells; what its failure leaves unknown.
FEEDS = {
    "credits": "the account's balance (remaining, spendable, days left)",
    "key": "the key's own limit and usage (spendable)",
    "activity": "the spend per day (days left)",
    "keys": "the account's listed keys",
}


def public_terms(spec: KeySpec, terms: Mapping[str, str]) -> dict[str, str]:
    """How /healthz and the page, which anyone who reaches the exporter reads, name the settings:
    a key by its table (``the key of [keys.team-a]``), never by a file's path (the log says that)."""
    public = dict(terms)
    if spec.origin is not None:
        public["key_source"] = f"the key of [keys.{spec.name}]"
    return public


def _public(spec: KeySpec, error: OpenRouterCreditsError, terms: Mapping[str, str]) -> str:
    """``kind: message``, as /healthz and the page show a failure: one line, no path."""
    return printable(f"{error.kind}: {error.describe(public_terms(spec, terms))}")


def failed(state: KeyState, error: OpenRouterCreditsError, terms: Mapping[str, str], now: float) -> None:
    """The poll failed as a whole (``now``: seconds since the epoch)."""
    state.balance = None
    state.up = False
    message = error.describe(state.spec.terms(terms))
    state.problem = _public(state.spec, error, terms)
    if state.failing_since is None:
        state.failing_since = now
        logger.info("Key %s: the poll failed (%s): %s", state.spec.name, error.kind, message)
    else:
        logger.debug("Key %s: the poll failed again: %s", state.spec.name, message)


def succeeded(state: KeyState, balance: Any, now: float) -> None:
    """The poll read the balance (``now``: seconds since the epoch)."""
    if state.failing_since is not None:
        logger.info("Key %s: polls succeed again", state.spec.name)
    if not state.polled_ok:
        state.polled_ok = True
        _never_checkable(state.spec, balance)
    state.balance = balance
    state.up = True
    state.problem = None
    state.failing_since = None
    state.last_success = now


def _never_checkable(spec: KeySpec, balance: Any) -> None:
    """Say once, at the first answer, which of a key's thresholds this kind of key can never check."""
    key = balance.key
    if key is None or key.is_management_key:
        return
    if spec.below is not None and key.limit is None:
        logger.warning(
            "Key %s: below can never be checked: it is not a management key and has no limit, so what it may "
            "spend is unknown; give it a limit, or watch a management key",
            spec.name,
        )
    if spec.days_below is not None:
        logger.warning("Key %s: days_below can never be checked: the days left need a management key", spec.name)


def overdue(state: KeyState, wait: float) -> None:
    """A 429 asked for a wait past the next poll: the figures would go stale, so they go (up 0)."""
    state.balance = None
    state.up = False
    state.problem = f"rate_limit: OpenRouter asked to wait {wait:.0f} s before the next poll"
    logger.info("Key %s: rate limited; the next poll is in %.0f s", state.spec.name, wait)


def report_calls(state: KeyState, answered: bool, terms: Mapping[str, str], monotonic: Callable[[], float]) -> None:
    """Keep ``state.incomplete`` (what /healthz and the page say of the calls that failed) and log
    once when a call starts failing while the poll goes on, and once when it answers again."""
    failed = state.failed_calls()
    name = state.spec.name
    if not answered:  # the poll's own failure says it all (logged by failed())
        state.incomplete = None
        state.logged_calls = set()
        return
    parts = []
    for call, error in failed.items():
        shown = f"GET /{call} failed ({_public(state.spec, error, terms)}): {FEEDS[call]} unknown"
        if call == "keys" and state.listing_not_before > monotonic():
            shown += f"; not asked again for {state.listing_not_before - monotonic():.0f} s"
        parts.append(shown)
        if call not in state.logged_calls:
            logger.info(
                "Key %s: GET /%s failed (%s): %s; %s unknown until it answers",
                name,
                call,
                error.kind,
                error.describe(state.spec.terms(terms)),
                FEEDS[call],
            )
    for call in sorted(state.logged_calls - failed.keys()):
        logger.info("Key %s: GET /%s answers again", name, call)
    if "keys" in failed and state.listing_not_before > monotonic() and "keys" not in state.logged_calls:
        logger.info(
            "Key %s: the listing is held back for %.0f s (a 429 on GET /keys)",
            name,
            state.listing_not_before - monotonic(),
        )
    state.logged_calls = set(failed)
    state.incomplete = "; ".join(parts) or None


def note_workspaces(state: KeyState) -> None:
    """One log line when a discovering key's listing holds only the default workspace's keys (and
    why), one when it holds every workspace's again; nothing while that does not change."""
    listed = state.listed
    assert listed is not None
    note = None if listed.complete else listed.workspaces_note
    if note == state.default_only:
        return
    if note is not None:
        logger.warning("Key %s: only the default workspace's keys are listed and exported (%s)", state.spec.name, note)
    else:
        logger.info("Key %s: every workspace's keys are listed again", state.spec.name)
    state.default_only = note


def note_max_keys(state: KeyState) -> None:
    """Once: the listing holds more keys than ``max_keys``, the rest summed as ``other``."""
    listed = state.listed
    assert listed is not None
    if len(listed) > state.spec.max_keys and not state.warned_max_keys:
        state.warned_max_keys = True
        logger.warning(
            "Key %s: the account has %d keys, more than max_keys = %d: the %d most spent this month are "
            'exported, the rest summed as key_name="other"',
            state.spec.name,
            len(listed),
            state.spec.max_keys,
            state.spec.max_keys,
        )


def assign_teams(state: KeyState, teams: Teams, told: set[str], *, again: bool = False) -> None:
    """Each listed key's team (the one rule, ``_apps.teams``), once per listing (``again``: anew, for
    new teams); the log says once (``told``: what it said) of a workspace a team names that no
    workspace has, and of a key two teams claim (whose teams' spend is then left out: unknown)."""
    if not teams or state.listed is None:
        state.teams = None
        return
    if not again and state.teams is not None and state.teams_of is state.listed:
        return
    state.teams = assign(state.listed, teams)
    state.teams_of = state.listed
    state.team_spends = team_spend(state.listed, teams, state.teams)
    messages = [(logging.WARNING, text) for text in unmatched_workspaces(teams, state.listed.workspaces or ())]
    messages += [(logging.ERROR, str(conflict)) for conflict in state.teams.conflicts]
    for level, message in messages:
        if message not in told:
            told.add(message)
            logger.log(level, "Key %s: %s", state.spec.name, message)
