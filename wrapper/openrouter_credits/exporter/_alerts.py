"""Alerts: which thresholds each key is below, kept across restarts, and the alerts a poll calls for.

A key's threshold alerts once when it is crossed and once when it recovers. The state moves only on
a known figure (an unknown value keeps the last state and sends nothing). Due alerts go to the outbox
(``_delivery``), which delivers them to the channels (``_channels``) apart from polling. A listed
key's thresholds that cross together make one alert, in words that fit its limit's window; its name,
which anyone in the organization can set, is shortened.

``AlertBook`` is bounded: one entry per configured key and per key of each key's latest listing
(keys no longer listed, or no longer configured, are forgotten), written off the event loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._apps.spike import TIMES, Spike, spike_of
from .._forecast import method_words
from .._format import days, money
from .._logging import EXPORTER_LOGGER
from .._text import clean_text
from ._alert import Alert
from ._statedir import StateFile

if TYPE_CHECKING:
    from .._api_key import ApiKey
    from .._apps.config_file import KeySpec
    from .._balance import Balance
    from ._statedir import StateDir

__all__ = ["AlertBook", "Due", "alerts_due", "key_alerts_due", "listed_key_state"]

logger = logging.getLogger(EXPORTER_LOGGER)

#: A listed key's name is shortened to this many characters in alerts.
MAX_NAME = 80


# --- the alerts a poll calls for ----------------------------------------------------------------------


@attrs.frozen
class Due:
    """An alert a poll calls for, and the states it moves in the book once it is queued: ``subject``'s
    ``thresholds`` become ``crossed``."""

    subject: str
    thresholds: tuple[str, ...]
    crossed: bool
    alert: Alert


def _may_spend(value: float) -> str:
    return f"may spend {money(value)}"


def _may_spend_at_most(value: float) -> str:
    return f"may spend at most {money(value)}"


def _spendable_check(balance: Balance, below: float | None) -> tuple[float | None, Callable[[float], str]]:
    """The figure ``below`` is checked against, and its words: spendable; unknown, its bound when even
    that is under the threshold (as ``--below`` trips), or when the account's balance is out of the
    key's sight by design (an ordinary key: its limit and budgets are all it can know of, so its
    alert recovers when they rise again). Otherwise None: the state stays."""
    at_most = balance.spendable_at_most
    if balance.spendable is not None or at_most is None or below is None:
        return balance.spendable, _may_spend
    unseen = balance.key is not None and not balance.key.is_management_key and balance.remaining is None
    return (at_most if at_most < below or unseen else None), _may_spend_at_most


def _days_of_credits(method: str | None) -> Callable[[float], str]:
    """``has 3.5 days of credits left by the weekday forecast``."""
    by = "" if method is None else f" by {method_words(method)}"
    return lambda value: f"has {value:.1f} days of credits left{by}"


def _days(value: float) -> str:
    return f"{value:g} days"


Check = tuple[str, float | None, float | None, Callable[[float], str], Callable[[float], str]]


def _title_of(name: str, threshold: str, below: bool, value: float | None, limit: float | None) -> str:
    """An alert's short title: ``team-a is below its threshold``, ``team-a has 3.5 days left, under
    its threshold of 7 days``, ``team-a's spend is spiking``, ``team-a recovered (...)``."""
    if threshold == "spike":
        return f"{name}'s spend is spiking" if below else f"{name} recovered (spike)"
    if threshold == "days_below" and value is not None and limit is not None:
        left = f"{days(value)} days left"
        return f"{name} has {left}, under its threshold of {_days(limit)}" if below else f"{name} recovered ({left})"
    return f"{name} is below its threshold" if below else f"{name} recovered (below)"


def _own_alert(
    spec: KeySpec, threshold: str, below: bool, text: str, value: float | None = None, limit: float | None = None
) -> Due:
    title = _title_of(spec.name, threshold, below, value, limit)
    state = threshold if below else "recovered"
    alert = Alert(spec.name, state, title, text, "warning" if below else "info", about=f"{spec.name} {threshold}")
    return Due(spec.name, (threshold,), below, alert)


def alerts_due(
    spec: KeySpec,
    balance: Balance,
    book: AlertBook,
    now: dt.datetime | None = None,
    today: float | None = None,
) -> list[Due]:
    """The alerts a poll's ``balance`` calls for: one for each threshold whose known value has crossed
    since the state in ``book``. ``now``: the time of the spike check (the balance's own time, unless
    told); ``today``: a management key's spend today (``_apps.spike``). For ``spike``, "below" means
    spiking."""
    method = None if balance.forecast is None else balance.forecast.method
    checks: tuple[Check, ...] = (
        ("below", spec.below, *_spendable_check(balance, spec.below), money),
        ("days_below", spec.days_below, balance.days_left, _days_of_credits(method), _days),
    )
    due = []
    if spec.spike is not None:
        spike, _ = spike_of(balance, balance.at if now is None else now, today=today)
        if spike is not None:  # unknown: the state stays
            due += _transition(book, spec.name, "spike", spike.tripped(spec.spike, spec.spike_min_dollars), spike, spec)
    for threshold, limit, value, describe, unit in checks:
        if limit is None or value is None:  # no threshold, or an unknown figure: the state stays
            continue
        below = value < limit
        if book.learning and not book.known(spec.name, threshold):
            book.set(spec.name, threshold, below)  # a state file that was lost: learnt, not announced
            continue
        if below == book.get(spec.name, threshold):
            continue
        if below:
            text = f"OpenRouter key {spec.name} {describe(value)}, below its threshold of {unit(limit)}."
        else:
            text = f"OpenRouter key {spec.name} recovered: it {describe(value)} (threshold {unit(limit)})."
        due.append(_own_alert(spec, threshold, below, text, value, limit))
    return due


def _transition(book: AlertBook, name: str, threshold: str, tripped: bool, spike: Spike, spec: KeySpec) -> list[Due]:
    if book.learning and not book.known(name, threshold):
        book.set(name, threshold, tripped)
        return []
    if tripped == book.get(name, threshold):
        return []
    if tripped:
        text = f"OpenRouter key {name}: {spike.describe()}, above its spike threshold of {spec.spike:g}{TIMES}."
    else:
        text = f"OpenRouter key {name} recovered from its spend spike: {spike.describe()}"
        text += f" (threshold {spec.spike:g}{TIMES})."
    return [_own_alert(spec, threshold, tripped, text)]


def listed_key_state(spec: KeySpec, key: ApiKey) -> str:
    """Where the alert book keeps a listed key's states: the polled key's name and the listed key's
    short hash (names may repeat; never a secret)."""
    return f"{spec.name}/{key.hash_[:12]}"


def _when(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


@attrs.frozen
class _Listed:
    """What a listed key's alert says of it: its limit in the words of its window."""

    name: str  # shortened, clean
    left: float
    limit: float
    window: str  # "weekly " or "" (a limit without a reset)
    resets: dt.datetime | None
    at: dt.datetime | None  # when it reaches its limit at its pace (now when it has)

    @property
    def exhausted(self) -> bool:
        return self.left <= 0

    def limit_words(self) -> str:
        return f"its {money(self.limit)} {self.window}limit"

    def reset_words(self) -> str:
        return f"it resets at {_when(self.resets)}" if self.resets is not None else "it never resets"


def _crossed_words(key: _Listed, thresholds: Sequence[str], fraction: float | None) -> tuple[str, str, str]:
    """(detail, title's end, summary item) of a listed key whose ``thresholds`` have just crossed."""
    if key.exhausted:  # every threshold says the same then: one message for the state
        return (
            f"has reached {key.limit_words()}; {key.reset_words()}",
            "has reached its limit",
            f"{key.name} ({money(key.limit)}, {key.reset_words()})",
        )
    parts, items = [], []
    if "key_below_fraction" in thresholds:
        share = "" if fraction is None else f" (under {fraction * 100:g} %)"
        parts.append(f"has {money(key.left)} of {key.limit_words()} left{share}")
        items.append(f"{money(key.left)} of {money(key.limit)} left")
    if "key_will_exhaust" in thresholds and key.at is not None:
        limit = "it" if parts else key.limit_words()
        if key.resets is not None:
            parts.append(f"is bound to reach {limit} at {_when(key.at)}, before it resets at {_when(key.resets)}")
        else:
            parts.append(f"is bound to reach {limit} at {_when(key.at)} at its pace; {key.reset_words()}")
        items.append(f"at {_when(key.at)}")
    title = "near its limit" if "key_will_exhaust" not in thresholds else "bound to reach its limit"
    return " and ".join(parts), title, f"{key.name} ({', '.join(items)})"


def _recovered_words(key: _Listed, thresholds: Sequence[str], fraction: float | None) -> tuple[str, str, str]:
    """(detail, title's end, summary item) of a listed key whose ``thresholds`` have just recovered."""
    parts = []
    if "key_below_fraction" in thresholds:
        share = "" if fraction is None else f" ({fraction * 100:g} % or more)"
        parts.append(f"has {money(key.left)} of {key.limit_words()} left again{share}")
    if "key_will_exhaust" in thresholds:
        limit = "it" if parts else key.limit_words()
        horizon = "before it resets" if key.resets is not None else "within 7 days"
        parts.append(f"is no longer on course to reach {limit} {horizon}")
    return " and ".join(parts), "recovered", f"{key.name} ({money(key.left)} of {money(key.limit)} left)"


def key_alerts_due(spec: KeySpec, keys: list[ApiKey], now: dt.datetime, book: AlertBook) -> list[Due]:
    """The alerts a listing calls for (``key_below_fraction``, ``key_will_exhaust``): once per crossing
    and once per recovery of each listed key, the thresholds that cross together in one alert (a key
    already at its limit gets "has reached its limit", once). A key whose figure is unknown (no
    limit, no pace) keeps its state. Alike alerts carry a ``group`` to go as one notification."""
    from .._api_key import SOON

    fraction = spec.key_below_fraction
    due = []
    for key in keys:
        if key.disabled:
            continue
        left, limit = key.limit_left, key.limit
        if left is None or not limit:
            continue
        crossings: dict[str, bool] = {}
        if fraction is not None:
            crossings["key_below_fraction"] = left < fraction * limit
        at = key.exhausts_at(now)
        if spec.key_will_exhaust:
            crossings["key_will_exhaust"] = at is not None and (key.limit_reset is not None or at - now <= SOON)
        state = listed_key_state(spec, key)
        moved: dict[bool, list[str]] = {True: [], False: []}
        for threshold, crossed in crossings.items():
            if book.learning and not book.known(state, threshold):
                book.set(state, threshold, crossed)
            elif crossed != book.get(state, threshold):
                moved[crossed].append(threshold)
        if not moved[True] and not moved[False]:
            continue
        window = f"{key.limit_reset.strip().lower()} " if key.limit_reset else ""
        listed = _Listed(clean_text(key.name or key.hash_[:12], MAX_NAME), left, limit, window, key.resets_at(now), at)
        for crossed, thresholds in moved.items():
            if thresholds:
                due.append(_listed_alert(spec, state, listed, tuple(thresholds), crossed))
    return due


def _listed_alert(spec: KeySpec, state: str, key: _Listed, thresholds: tuple[str, ...], crossed: bool) -> Due:
    words = _crossed_words if crossed else _recovered_words
    detail, title_end, item = words(key, thresholds, spec.key_below_fraction)
    who = f"OpenRouter key {key.name} (listed by {spec.name})"
    what = " and ".join(threshold.removeprefix("key_").replace("_", " ") for threshold in thresholds)
    if crossed:
        title = f"{key.name} ({spec.name}) {title_end}"
        group = _crossed_group(spec, key, thresholds)
    else:
        title = f"{key.name} ({spec.name}) recovered ({what})"
        group = f"keys listed by {spec.name} recovered ({what})"
    alert = Alert(
        spec.name,
        thresholds[0] if crossed else "recovered",
        title,
        f"{who} {detail}.",
        "warning" if crossed else "info",
        about=f"{state} {'+'.join(thresholds)}",
        group=group,
        item=item,
    )
    return Due(state, thresholds, crossed, alert)


def _crossed_group(spec: KeySpec, key: _Listed, thresholds: Sequence[str]) -> str:
    if key.exhausted:
        return f"keys listed by {spec.name} have reached their limits"
    parts = []
    if "key_below_fraction" in thresholds and spec.key_below_fraction is not None:
        parts.append(f"are below {spec.key_below_fraction * 100:g} % of their limits")
    if "key_will_exhaust" in thresholds:
        parts.append("are bound to reach their limits")
    return f"keys listed by {spec.name} {' and '.join(parts)}"


# --- the book --------------------------------------------------------------------------------------


def _valid_state(value: Any) -> bool:
    """``{key: {threshold: bool}}``: anything else is a corrupt file, never read as truthy."""
    return isinstance(value, dict) and all(
        isinstance(states, dict) and all(isinstance(below, bool) for below in states.values())
        for states in value.values()
    )


class AlertBook:
    """Which thresholds each key is below, kept in the state directory so a restart does not alert
    again (in memory only without one). A corrupt or wrongly shaped file is moved aside with a warning,
    and the states are learnt again, silently, from the first polls. Changes are written off the event
    loop (``await flush()``), many in one write."""

    FILE = "alerts.json"

    def __init__(self, state: StateDir | None) -> None:
        self._dir = state
        path = None if state is None else state.file(self.FILE)
        existed = path is not None and (path.exists() or path.is_symlink())
        loaded = None if state is None else state.load_json(self.FILE, _valid_state)
        #: Each subject's states. An inner dict is never changed once stored (it is replaced), so a
        #: snapshot for the writer is a shallow copy.
        self.state: dict[str, dict[str, bool]] = {} if loaded is None else loaded
        #: The file was corrupt: the first known figures set each state without an alert (no storm).
        self.learning = existed and loaded is None
        self._file: StateFile[dict[str, dict[str, bool]]] = StateFile(
            path, lambda: dict(self.state), lambda snapshot: snapshot, what="the alert state"
        )

    def known(self, key: str, threshold: str) -> bool:
        return threshold in self.state.get(key, {})

    def get(self, key: str, threshold: str) -> bool:
        return self.state.get(key, {}).get(threshold, False)

    def set(self, key: str, threshold: str, below: bool) -> None:
        """Record a state (the file is written soon: ``flush()``)."""
        states = self.state.get(key, {})
        if states.get(threshold) is below:
            return
        self.state[key] = {**states, threshold: below}
        self._file.changed()

    def prune(self, prefix: str, keep: Collection[str]) -> None:
        """Forget the subjects starting with ``prefix`` that are not in ``keep`` (keys no longer listed)."""
        gone = [subject for subject in self.state if subject.startswith(prefix) and subject not in keep]
        for subject in gone:
            del self.state[subject]
        if gone:
            self._file.changed()

    def retain(self, names: Collection[str]) -> None:
        """Forget the subjects of keys not in ``names`` (no longer configured), listed keys included."""
        gone = [subject for subject in self.state if subject.partition("/")[0] not in names]
        for subject in gone:
            del self.state[subject]
        if gone:
            self._file.changed()

    async def flush(self) -> None:
        """Return once every state recorded so far is in the file (or its write failed, logged)."""
        await self._file.flush()
