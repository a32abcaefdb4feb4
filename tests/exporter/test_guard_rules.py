"""A guard's decisions, pure and in injected time: which keys its selection names, each condition on
known figures only (an unknown one never triggers), the change (a limit never raised), when it is
undone, the refusals, what a restore does, and the words of its alerts."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from openrouter_credits import ApiKey
from openrouter_credits._apps.guard_config import GuardSpec
from openrouter_credits.exporter._guard import (
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
)
from openrouter_credits.testing._listing import listed_key
from openrouter_credits_client.models.list_api_keys_response_200_data_item import ListApiKeysResponse200DataItem

#: Friday 2027-01-15 09:00 UTC: 3/8 of the day gone.
NOW = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)
RESEARCH = "11111111-2222-4333-8444-555555555555"


def key(name: str, **fields: Any) -> ApiKey:
    fields.setdefault("hash", hashlib.sha256(name.encode()).hexdigest())
    record = listed_key(name, **fields)
    workspace = fields.get("workspace_name")
    record.pop("workspace_name", None)
    made = ApiKey.from_generated(ListApiKeysResponse200DataItem.from_dict(record))
    return made.in_workspace(workspace)


def guard(**fields: Any) -> GuardSpec:
    values: dict[str, Any] = {"name": "runaway-ci", "keys": ("ci-*",), "when": "spike", "factor": 5.0, **fields}
    return GuardSpec(**values)


def nobody(key: ApiKey) -> bool:
    return False


#: $14.20 today against $20 this week ($2.86 a day; $1.07 expected by 09:00): 13.3x.
SPIKING = {"usage_daily": 14.2, "usage_weekly": 20.0, "usage_monthly": 40.0, "usage": 60.0}


def test_selection_as_a_teams() -> None:
    """A guard names keys as a [teams.NAME] table does: name globs, labels, hash prefixes of 8 hex
    digits or more, or every key of a workspace named by its name or id."""
    ci = key("ci-nightly", label="sk-or-v1-abc...wxyz", workspace_id=RESEARCH, workspace_name="Research")
    assert selected(guard(), ci)
    assert not selected(guard(keys=("agent-*",)), ci)
    assert selected(guard(keys=("sk-or-v1-abc...wxyz",)), ci)
    assert selected(guard(keys=(ci.hash_[:8],)), ci)
    assert not selected(guard(keys=(ci.hash_[:7],)), ci)  # too short for a prefix: a glob of the name
    assert selected(guard(keys=(), workspaces=("research",)), ci)
    assert selected(guard(keys=(), workspaces=(RESEARCH.upper(),)), ci)
    assert selected(guard(keys=("agent-*",), workspaces=("Research",)), ci)  # either names it
    assert not selected(guard(keys=("agent-*",), workspaces=("Default",)), ci)
    memo: dict[tuple[str, ...], bool] = {}
    assert selected(guard(), ci, memo)
    assert list(memo.values()) == [True]


def test_spike_disables_until_midnight() -> None:
    """A spike over the factor: disable, undone at the next 00:00 UTC (a new day of spend)."""
    decision = plan(guard(), key("ci-nightly", **SPIKING), NOW, nobody)
    assert isinstance(decision, Plan)
    assert decision.reason == "$14.20 spent today by 09:00 UTC, 13.3\u00d7 its pace"
    assert (dict(decision.fields), dict(decision.before)) == ({"disabled": True}, {"disabled": False})
    assert decision.restore_at == dt.datetime(2027, 1, 16, tzinfo=dt.UTC)
    assert plan(guard(restore="never"), key("ci-nightly", **SPIKING), NOW, nobody).restore_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"usage_daily": 14.2, "usage_weekly": 200.0}, "under the factor"),
        ({"usage_daily": 0.9, "usage_weekly": 0.9}, "under spike_min_dollars"),
        ({"usage_daily": 0.0, "usage_weekly": 0.0}, "nothing spent"),
        ({**SPIKING, "disabled": True}, "already disabled"),
        ({**SPIKING, "name": "web"}, "not named"),
    ],
)
def test_no_spike_no_action(fields: dict[str, Any], why: str) -> None:
    assert plan(guard(), key(fields.pop("name", "ci-x"), **fields), NOW, nobody) is None, why


def test_unknown_figures_never_trigger() -> None:
    """A listed key whose usage OpenRouter did not say (None) is never acted on."""
    unknown = key("ci-x", **SPIKING)
    object.__setattr__(unknown, "usage_daily", None)
    assert plan(guard(), unknown, NOW, nobody) is None
    no_limit = key("ci-y", usage_daily=50.0)
    for when in ("will_exhaust", "below_fraction"):
        assert plan(guard(when=when, factor=None), no_limit, NOW, nobody) is None
    assert plan(guard(when="over", factor=None, amount=1.0), no_limit, NOW, nobody) is None  # no window usage


def test_will_exhaust_over_and_below_fraction() -> None:
    """The other conditions on a key with a daily $20 limit that used $15 by 09:00 (pace $40 a day)."""
    daily = {"limit": 20.0, "limit_reset": "daily", "usage_daily": 15.0, "usage_weekly": 30.0}
    exhausting = plan(guard(when="will_exhaust", factor=None), key("ci-a", **daily), NOW, nobody)
    assert isinstance(exhausting, Plan)
    assert exhausting.reason == "bound to reach its $20.00 daily limit at 12:00 UTC, before it resets at 00:00 UTC"
    assert exhausting.restore_at == dt.datetime(2027, 1, 16, tzinfo=dt.UTC)
    over = plan(guard(when="over", factor=None, amount=10.0), key("ci-a", **daily), NOW, nobody)
    assert isinstance(over, Plan)
    assert over.reason == "$15.00 used today, over the guard's $10.00"
    low = plan(guard(when="below_fraction", factor=None, fraction=0.3), key("ci-a", **daily), NOW, nobody)
    assert isinstance(low, Plan)
    assert low.reason == "$5.00 of its $20.00 limit left, under 30 %"
    assert plan(guard(when="below_fraction", factor=None, fraction=0.2), key("ci-a", **daily), NOW, nobody) is None


def test_limit_action_sets_what_the_window_used_never_more() -> None:
    """action = "limit": the limit becomes the window's usage (none before: the lifetime usage, then
    removed again at the reset); a limit already under the usage is not raised, so nothing is done."""
    limited = plan(guard(action="limit"), key("ci-a", limit=100.0, limit_reset="daily", **SPIKING), NOW, nobody)
    assert isinstance(limited, Plan)
    assert (dict(limited.fields), dict(limited.before)) == ({"limit": 14.2}, {"limit": 100.0})
    unlimited = plan(guard(action="limit"), key("ci-b", **SPIKING), NOW, nobody)
    assert isinstance(unlimited, Plan)
    assert (dict(unlimited.fields), dict(unlimited.before)) == ({"limit": 60.0}, {"limit": None})
    capped = key("ci-c", limit=10.0, limit_reset="daily", **SPIKING)
    assert plan(guard(action="limit"), capped, NOW, nobody) is None


def test_refusals() -> None:
    """The key that polls is never acted on; restore = "at_reset" on a limit that never resets is refused."""
    spiking = key("ci-a", **SPIKING)
    refused = plan(guard(), spiking, NOW, lambda k: k is spiking)
    assert isinstance(refused, Refusal)
    assert refused.why == "it is the key that polls, which a guard never acts on"
    total = key("ci-a", limit=20.0, limit_reset=None, usage=15.0, usage_weekly=15.0)
    windowless = plan(guard(when="over", factor=None, amount=10.0), total, NOW, nobody)
    assert isinstance(windowless, Refusal)
    assert windowless.why.startswith('restore = "at_reset", but its limit never resets')
    assert isinstance(plan(guard(when="over", factor=None, amount=10.0, restore="never"), total, NOW, nobody), Plan)


def pending(**fields: Any) -> Pending:
    values: dict[str, Any] = {
        "guard": "runaway-ci",
        "account": "account",
        "key_hash": "ab" * 32,
        "key_name": "ci-nightly",
        "workspace": "Research",
        "set": {"disabled": True},
        "previous": {"disabled": False},
        "due": dt.datetime(2027, 1, 16, tzinfo=dt.UTC).timestamp(),
        "acted_at": NOW.timestamp(),
        **fields,
    }
    return Pending(**values)


def test_restore_steps() -> None:
    """Wait for the time; then undo only what the guard set, as it set it; a person's change, or a
    key gone, is left alone."""
    owed = pending()
    later = owed.due + 60
    disabled = key("ci-nightly", disabled=True)
    assert restore_step(owed, disabled, owed.due - 1) == "wait"
    assert restore_step(owed, disabled, later) == "restore"
    assert restore_step(owed, key("ci-nightly"), later) == "changed"
    assert restore_step(owed, None, later) == "gone"
    limit = pending(set={"limit": 14.2}, previous={"limit": 100.0})
    assert restore_step(limit, key("ci", limit=14.2), later) == "restore"
    assert restore_step(limit, key("ci", limit=30.0), later) == "changed"
    assert Pending.from_json(owed.to_json()) == owed
    with pytest.raises(TypeError):
        Pending.from_json({**owed.to_json(), "set": {"name": "x"}, "previous": {"name": "y"}})


def test_words() -> None:
    """The alerts in plain words, with how to undo by hand (the name, or the hash prefix when the name
    is not plain or not unique)."""
    spec = guard()
    midnight = dt.datetime(2027, 1, 16, tzinfo=dt.UTC)
    reason = "$14.20 spent today by 09:00 UTC, 7.1\u00d7 its pace"
    title, text = acted_words(
        spec, "ci-nightly", "Research", reason, {"disabled": True}, {"disabled": False}, midnight, NOW, "ci-nightly",
        dry_run=False,
    )  # fmt: skip
    assert title == "Guard runaway-ci acted on ci-nightly"
    assert text == (
        "Disabled key ci-nightly (workspace Research): $14.20 spent today by 09:00 UTC, 7.1\u00d7 its pace. It will be "
        "re-enabled at 00:00 UTC. To re-enable now: openrouter-credits keys enable ci-nightly"
    )
    _, would = acted_words(
        spec, "ci-nightly", None, reason, {"disabled": True}, {"disabled": False}, midnight, NOW, "ci-nightly",
        dry_run=True,
    )  # fmt: skip
    assert would == (
        "Would disable key ci-nightly: $14.20 spent today by 09:00 UTC, 7.1\u00d7 its pace. Guard runaway-ci is a "
        "dry run: nothing was changed (dry_run = false acts)."
    )
    _, limited = acted_words(
        spec, "ci", None, reason, {"limit": 14.2}, {"limit": 100.0}, midnight, NOW, "ci", dry_run=False
    )
    assert limited == (
        "Limited key ci to $14.20, what its window has used (it was $100.00): $14.20 spent today by 09:00 UTC, "
        "7.1\u00d7 its pace. Its limit will be restored to $100.00 at 00:00 UTC. To restore it now: "
        "openrouter-credits keys set-limit ci 100"
    )
    _, failed = failed_words(spec, "ci", None, {"disabled": True}, "OpenRouter failed to answer (HTTP 503: x).")
    assert failed == (
        "Could not disable key ci: OpenRouter failed to answer (HTTP 503: x). Guard runaway-ci tries again at the "
        "next poll while its condition holds."
    )
    _, restored = restored_words(pending(), "restore", midnight, midnight + dt.timedelta(minutes=1))
    assert restored == (
        "Re-enabled key ci-nightly (workspace Research): its window reset at 00:00 UTC (guard runaway-ci disabled it "
        "at 09:00 UTC)."
    )
    _, left = restored_words(pending(), "changed", midnight, midnight)
    assert left.startswith("Key ci-nightly (workspace Research) was changed since guard runaway-ci disabled it")
    assert command_ref("ci nightly; rm -rf /", "ab" * 32, True) == "abababababab"
    assert command_ref("ci", "ab" * 32, False) == "abababababab"
