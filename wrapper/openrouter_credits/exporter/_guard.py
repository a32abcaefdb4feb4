"""What a guard decides about one listed key, from fresh data and the time it is given: pure, no I/O.

- ``plan()``: whether the guard acts on a key now. Only a key its selection names (``keys`` and
  ``workspaces``, read as a ``[teams.NAME]`` table's), never the key that polls, never a key already
  disabled; only when its condition holds on known figures (an unknown figure never triggers):
  ``spike`` (today's spend against the 7-day pace, ``_apps.spike``), ``will_exhaust``
  (``ApiKey.status``), ``over`` (the window's usage above ``amount``) or ``below_fraction`` (less
  than ``fraction`` of the limit left). The action: ``disable``, or ``limit`` (the limit set to what
  the window has used, never raised). With ``restore = "at_reset"`` the change is undone at the
  window's reset: the next 00:00 UTC for a spike (today's spend), the key's limit window for the
  others; a key whose limit never resets has no such reset, and the guard refuses to act on it
  (``Refusal``).
- ``restore_step()``: what to do with a change the guard owes undoing (``Pending``): wait for its
  time, undo it when the key still has every field as the guard set it, leave it when a person
  changed the key since (or the key is gone).
- The words of the alerts and log lines (``acted_words``, ...), which quote the key's name (cut,
  cleaned where shown) and say how to undo the change by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .._apps.guard_config import GuardSpec, names_key
from .._apps.journal import value_text
from .._apps.key_choice import MIN_HASH_PREFIX
from .._apps.spike import TIMES, Spike, key_spike
from .._apps.teams import key_ref
from .._format import money
from .._key_update import same_value
from .._text import clean_text
from .._windows import utc

if TYPE_CHECKING:
    from .._api_key import ApiKey

__all__ = [
    "Figures",
    "Pending",
    "Plan",
    "Refusal",
    "Trigger",
    "acted_words",
    "command_ref",
    "failed_words",
    "plan",
    "restore_step",
    "restored_words",
    "selected",
    "trigger",
]

#: A key's name in an alert or a log line is cut to this many characters.
MAX_NAME = 80
_WINDOW_WORDS = {"daily": "day", "weekly": "week", "monthly": "month"}
#: A name safe to quote in a command line as it is (else the hash prefix is quoted).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


@attrs.frozen
class Trigger:
    """That a guard's condition holds on a key now; ``reason`` says why, in words (made when asked:
    a poll asks only of the keys acted on)."""

    words: Callable[[], str]

    @property
    def reason(self) -> str:
        return self.words()


@attrs.frozen
class Plan:
    """An action to take: set ``fields`` of ``key`` (they were ``before``), because of ``trigger``;
    undo at ``restore_at`` (None: never)."""

    key: ApiKey
    trigger: Trigger
    fields: Mapping[str, Any]
    before: Mapping[str, Any]
    restore_at: dt.datetime | None

    @property
    def reason(self) -> str:
        return self.trigger.reason


@attrs.frozen
class Refusal:
    """A key the guard's selection names but that it will not act on, and why (said once)."""

    key: ApiKey
    why: str


def selected(spec: GuardSpec, key: ApiKey, memo: dict[tuple[str, ...], bool] | None = None) -> bool:
    """Whether ``spec`` names ``key``, as a ``[teams.NAME]`` table names keys (``names_key``: a ``keys``
    pattern or a ``workspaces`` name or id; a key it cannot tell about is not named). ``memo``: the
    answers so far for this guard, by what the rule reads of a key (kept from poll to poll: names
    seldom change)."""
    if memo is None:
        return names_key(spec, key_ref(key))
    ident = (key.hash_, key.name, key.label, str(getattr(key, "workspace_id", "")), key.workspace_name or "")
    found = memo.get(ident)
    if found is None:
        found = memo[ident] = names_key(spec, key_ref(key))
    return found


class Figures:
    """What the conditions read of one key at one time, each worked out once for all the guards that
    ask (a poll of 1,000 keys and five guards): its spike, its status."""

    __slots__ = ("_ratio", "_spike", "_status", "_tripped", "key", "now")

    def __init__(self, key: ApiKey, now: dt.datetime) -> None:
        self.key = key
        self.now = now
        self._tripped: dict[tuple[float, float], bool] = {}

    @property
    def ratio(self) -> float | None:
        """The spike's ratio (None: unknown, or nothing expected)."""
        try:
            return self._ratio
        except AttributeError:
            spike = self.spike
            self._ratio: float | None = None if spike is None else spike.ratio
            return self._ratio

    def tripped(self, factor: float, minimum: float) -> bool:
        """``Spike.tripped``, once per factor and minimum."""
        found = self._tripped.get((factor, minimum))
        if found is None:
            spike = self.spike
            found = self._tripped[(factor, minimum)] = spike is not None and spike.tripped(factor, minimum)
        return found

    @property
    def spike(self) -> Spike | None:
        try:
            return self._spike
        except AttributeError:
            self._spike: Spike | None = key_spike(self.key.usage_daily, self.key.usage_weekly, self.now)
            return self._spike

    @property
    def status(self) -> str:
        try:
            return self._status
        except AttributeError:
            self._status: str = self.key.status(self.now)
            return self._status


def _window_words(key: ApiKey) -> str:
    return _WINDOW_WORDS.get((key.limit_reset or "").strip().lower(), "")


def _when(at: dt.datetime, now: dt.datetime) -> str:
    """``09:00 UTC`` within a day of ``now``, else ``2026-11-30 09:00 UTC``."""
    return f"{at:%H:%M} UTC" if abs(at - now) < dt.timedelta(hours=23) else f"{at:%Y-%m-%d %H:%M} UTC"


def trigger(spec: GuardSpec, key: ApiKey, now: dt.datetime, figures: Figures | None = None) -> Trigger | None:
    """The guard's condition on ``key`` at ``now``, when it holds on known figures; None otherwise
    (not holding, or a figure unknown). ``figures``: the key's, shared with other guards."""
    figures = Figures(key, now) if figures is None else figures
    if spec.when == "spike":
        today = key.usage_daily
        if not isinstance(today, int | float) or today < spec.spike_min_dollars:
            return None  # under the guard's floor (or unknown): no spike to work out
        ratio = figures.ratio
        if ratio is None:  # unknown, or nothing spent (the week holds today)
            return None
        assert spec.factor is not None
        if not figures.tripped(spec.factor, spec.spike_min_dollars):
            return None
        spike = figures.spike
        assert spike is not None
        return Trigger(lambda: f"{money(spike.today)} spent today by {spike.at:%H:%M} UTC, {ratio:.1f}{TIMES} its pace")
    limit = key.limit
    if spec.when == "will_exhaust":
        if limit is None or figures.status != "will_exhaust":
            return None
        return Trigger(lambda: _exhausting_words(key, limit, now))
    if spec.when == "over":
        used = key.window_usage
        assert spec.amount is not None
        if used is None or used <= spec.amount:
            return None
        amount = spec.amount
        span = {"day": "today", "week": "this week", "month": "this month"}.get(_window_words(key), "in all")
        return Trigger(lambda: f"{money(used)} used {span}, over the guard's {money(amount)}")
    left = key.limit_left
    if left is None or not limit or left >= spec.fraction * limit:
        return None
    fraction = spec.fraction
    return Trigger(lambda: f"{money(left)} of its {money(limit)} limit left, under {fraction * 100:g} %")


def _exhausting_words(key: ApiKey, limit: float, now: dt.datetime) -> str:
    at = key.exhausts_at(now)
    reset = key.resets_at(now)
    period = (key.limit_reset or "").strip().lower()
    limit_words = f"its {money(limit)} {period + ' ' if period else ''}limit"
    when = "soon" if at is None else f"at {_when(at, now)}"
    if reset is not None:
        return f"bound to reach {limit_words} {when}, before it resets at {_when(reset, now)}"
    return f"bound to reach {limit_words} {when} at its pace"


def _counted_usage(key: ApiKey) -> float | None:
    """What a limit on ``key`` counts now: its window's usage (``ApiKey.window_usage``); for a key
    without a limit, what one in its ``limit_reset`` window would count."""
    if key.limit is not None:
        return key.window_usage
    with_limit = attrs.evolve(key, limit=0.0)  # the window's usage is read by the one rule, ApiKey's
    return with_limit.window_usage


def _change(spec: GuardSpec, key: ApiKey) -> dict[str, Any] | None:
    """The fields the action sets on ``key`` (None: nothing to change, or the usage is unknown)."""
    if spec.action == "disable":
        return None if key.disabled else {"disabled": True}
    used = _counted_usage(key)
    if used is None:
        return None
    new = used if key.limit is None else min(float(key.limit), used)  # a limit is never raised
    return None if same_value(new, key.limit) else {"limit": round(new, 6)}


def _restore_at(spec: GuardSpec, key: ApiKey, now: dt.datetime) -> dt.datetime | None:
    """When the change is undone: a spike's at the next 00:00 UTC (a new day of spend), the others'
    at the key's limit window's reset (None: it never resets)."""
    if spec.when == "spike":
        return dt.datetime.combine(utc(now).date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    return key.resets_at(now)


def plan(
    spec: GuardSpec,
    key: ApiKey,
    now: dt.datetime,
    own: Callable[[ApiKey], bool],
    figures: Figures | None = None,
    memo: dict[tuple[str, ...], bool] | None = None,
) -> Plan | Refusal | None:
    """What the guard does about ``key`` at ``now`` (fresh data): a ``Plan``, a ``Refusal`` (a key it
    names but will not act on), or None (not its key, already stopped, or its condition does not
    hold on known figures). ``own`` tells the key that polls; ``figures``: the key's, shared; ``memo``:
    the guard's selection so far (``selected``)."""
    if key.disabled or not selected(spec, key, memo):  # a disabled key is stopped already
        return None
    if own(key):
        return Refusal(key, "it is the key that polls, which a guard never acts on")
    found = trigger(spec, key, now, figures)
    if found is None:
        return None
    fields = _change(spec, key)
    if fields is None:
        return None
    restore_at = None
    if spec.restore == "at_reset":
        restore_at = _restore_at(spec, key, now)
        if restore_at is None:
            return Refusal(
                key,
                'restore = "at_reset", but its limit never resets: set restore = "never" in the table, or leave the '
                "key out of its keys",
            )
    before = {field: getattr(key, field) for field in fields}
    return Plan(key, found, fields, before, restore_at)


@attrs.frozen
class Pending:
    """A change a guard made and owes undoing: the fields it set (``set``), the values they had
    (``previous``), when to undo it (``due``, seconds since the epoch), when it was made."""

    guard: str
    account: str
    key_hash: str
    key_name: str
    workspace: str | None
    set: Mapping[str, Any]
    previous: Mapping[str, Any]
    due: float
    acted_at: float

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> Pending:
        """A pending restore from what ``to_json`` wrote; TypeError (or ValueError) for anything else."""
        if not isinstance(value, dict) or set(value) != {a.name for a in attrs.fields(cls)}:
            raise TypeError("not a pending restore")
        texts = ("guard", "account", "key_hash", "key_name")
        if not all(isinstance(value[name], str) for name in texts):
            raise TypeError("not a pending restore")
        if not isinstance(value["set"], dict) or not isinstance(value["previous"], dict):
            raise TypeError("not a pending restore")
        if set(value["set"]) != set(value["previous"]) or not set(value["set"]) <= {"disabled", "limit"}:
            raise TypeError("not a pending restore")
        for name in ("due", "acted_at"):
            if isinstance(value[name], bool) or not isinstance(value[name], int | float):
                raise TypeError("not a pending restore")
        if value["workspace"] is not None and not isinstance(value["workspace"], str):
            raise TypeError("not a pending restore")
        return cls(**value)


Step = Literal["wait", "restore", "changed", "gone"]


def restore_step(pending: Pending, key: ApiKey | None, now: float) -> Step:
    """What to do with ``pending`` at ``now`` (seconds since the epoch), ``key`` as the fresh listing
    has it (None: not listed): ``wait`` for its time; ``gone`` (the key was deleted); ``changed`` (a
    field differs from what the guard set: a person changed the key since, and it is left as it is);
    ``restore`` (every field is still as the guard set it: put back the previous values)."""
    if now < pending.due:
        return "wait"
    if key is None:
        return "gone"
    if all(same_value(getattr(key, field), value) for field, value in pending.set.items()):
        return "restore"
    return "changed"


# --- words ------------------------------------------------------------------------------------------


def command_ref(key_name: str, key_hash: str, unique: bool) -> str:
    """How a command line names the key: its name when plain and unique, else its hash prefix."""
    if unique and _PLAIN_NAME.fullmatch(key_name):
        return key_name
    return key_hash[: max(12, MIN_HASH_PREFIX)]


def _who(name: str, workspace: str | None) -> str:
    shown = clean_text(name or "(no name)", MAX_NAME)
    return f"key {shown} (workspace {clean_text(workspace, MAX_NAME)})" if workspace else f"key {shown}"


def _undo_command(fields: Mapping[str, Any], previous: Mapping[str, Any], ref: str) -> str:
    if "disabled" in fields:
        return f"openrouter-credits keys enable {ref}"
    old = previous.get("limit")
    return (
        f"openrouter-credits keys remove-limit {ref}"
        if old is None
        else f"openrouter-credits keys set-limit {ref} {old:g}"
    )


def acted_words(
    spec: GuardSpec,
    name: str,
    workspace: str | None,
    reason: str,
    fields: Mapping[str, Any],
    before: Mapping[str, Any],
    restore_at: dt.datetime | None,
    now: dt.datetime,
    ref: str,
    *,
    dry_run: bool,
) -> tuple[str, str]:
    """(title, text) of an action taken, or (``dry_run``) of one the guard would take."""
    who = _who(name, workspace)
    if "disabled" in fields:
        verb, would = "Disabled", "Would disable"
        undo = (
            f"It will be re-enabled at {_when(restore_at, now)}."
            if restore_at is not None
            else "It stays disabled until a person enables it."
        )
        now_words = "To re-enable now"
    else:
        new, old = fields["limit"], before.get("limit")
        verb = f"Limited {who} to {money(new)}, what its window has used (it was {value_text('limit', old)}):"
        would = f"Would limit {who} to {money(new)} (it is {value_text('limit', old)}):"
        what = f"restored to {value_text('limit', old)}" if old is not None else "removed again"
        undo = (
            f"Its limit will be {what} at {_when(restore_at, now)}."
            if restore_at is not None
            else "It stays so until a person changes it."
        )
        now_words = "To restore it now" if old is not None else "To remove the limit now"
    command = _undo_command(fields, before, ref)
    if dry_run:
        head = f"{would} {who}:" if "disabled" in fields else would
        text = f"{head} {reason}. Guard {spec.name} is a dry run: nothing was changed (dry_run = false acts)."
        title = f"Guard {spec.name} would act on {clean_text(name, MAX_NAME)}"
    else:
        head = f"{verb} {who}:" if "disabled" in fields else verb
        text = f"{head} {reason}. {undo} {now_words}: {command}"
        title = f"Guard {spec.name} acted on {clean_text(name, MAX_NAME)}"
    return title, text


def failed_words(
    spec: GuardSpec, name: str, workspace: str | None, fields: Mapping[str, Any], error: str
) -> tuple[str, str]:
    """(title, text) of an action that failed (tried again at the next poll while the condition holds)."""
    what = "disable" if "disabled" in fields else f"limit to {money(fields['limit'])}"
    text = (
        f"Could not {what} {_who(name, workspace)}: {error} Guard {spec.name} tries again at the next poll while "
        "its condition holds."
    )
    return f"Guard {spec.name} could not act on {clean_text(name, MAX_NAME)}", text


def restored_words(pending: Pending, step: Step, at: dt.datetime, now: dt.datetime) -> tuple[str, str]:
    """(title, text) of a restore done (``restore``), or left undone (``changed``, ``gone``)."""
    who = _who(pending.key_name, pending.workspace)
    made = dt.datetime.fromtimestamp(pending.acted_at, dt.UTC)
    did = (
        "disabled it" if "disabled" in pending.set else f"set its limit to {value_text('limit', pending.set['limit'])}"
    )
    if step == "restore":
        if "disabled" in pending.set:
            head = f"Re-enabled {who}"
        else:
            head = f"Restored the limit of {who} to {value_text('limit', pending.previous['limit'])}"
        text = f"{head}: its window reset at {_when(at, now)} (guard {pending.guard} {did} at {_when(made, now)})."
        return f"Guard {pending.guard} undid its change to {clean_text(pending.key_name, MAX_NAME)}", text
    if step == "gone":
        text = (
            f"{who[0].upper()}{who[1:]} is no longer listed: guard {pending.guard}, which {did}, has nothing to undo."
        )
    else:
        text = (
            f"{who[0].upper()}{who[1:]} was changed since guard {pending.guard} {did} at {_when(made, now)}: it "
            "is left as it is, not undone."
        )
    return f"Guard {pending.guard} left {clean_text(pending.key_name, MAX_NAME)} as it is", text
