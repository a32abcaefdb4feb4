"""Alerts: which thresholds each key is below, kept across restarts, and when one is due.

A key's threshold alerts once when it is crossed and once when it recovers. The state moves only on
a known figure (an unknown value keeps the last state and sends nothing). Due alerts go to the outbox
(``_delivery``), which delivers them to the channels (``_channels``) apart from polling.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from .._apps.spike import TIMES, Spike, spike_of
from .._exceptions import ConfigurationError
from .._format import money
from .._logging import EXPORTER_LOGGER, register_secret
from .._settings import require_private
from ._channels import redact_url

if TYPE_CHECKING:
    import datetime as dt

    from .._api_key import ApiKey
    from .._apps.config_file import KeySpec
    from .._balance import Balance
    from ._statedir import StateDir

__all__ = ["AlertBook", "alerts_due", "check_notify_url", "key_alerts_due", "listed_key_state", "redact_url"]

logger = logging.getLogger(EXPORTER_LOGGER)

#: Where a webhook URL can come from without showing in the process list.
NOTIFY_URL_ENV = "OPENROUTER_CREDITS_NOTIFY_URL"


def check_notify_url(url: str, name: str = "--notify-url") -> str:
    """The webhook URL, checked: absolute https (plain http only to loopback); ``name`` is its source."""
    register_secret(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ConfigurationError(f"{name} is not a valid URL: it must start with https://.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"{name} must start with https:// (such as https://hooks.slack.com/services/...).")
    require_private(parsed, f"{name} {redact_url(url)}", "its token")
    return url


def _may_spend(value: float) -> str:
    return f"may spend {money(value)}"


def _days_of_credits(value: float) -> str:
    return f"has {value:.1f} days of credits left"


def _days(value: float) -> str:
    return f"{value:g} days"


Check = tuple[str, float | None, float | None, Callable[[float], str], Callable[[float], str]]


def alerts_due(
    spec: KeySpec,
    balance: Balance,
    book: AlertBook,
    now: dt.datetime | None = None,
    today: float | None = None,
) -> list[tuple[str, bool, str]]:
    """The alerts a poll's ``balance`` calls for: (threshold, now below, text), for each threshold
    whose known value has crossed since the state in ``book``. ``now``: the time of the spike check
    (the balance's own time, unless told); ``today``: a management key's spend today (``_apps.spike``).
    For ``spike``, "below" means spiking."""
    checks: tuple[Check, ...] = (
        ("below", spec.below, balance.spendable, _may_spend, money),
        ("days_below", spec.days_below, balance.days_left, _days_of_credits, _days),
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
        due.append((threshold, below, text))
    return due


def _transition(
    book: AlertBook, name: str, threshold: str, tripped: bool, spike: Spike, spec: KeySpec
) -> list[tuple[str, bool, str]]:
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
    return [(threshold, tripped, text)]


def listed_key_state(spec: KeySpec, key: ApiKey) -> str:
    """Where the alert book keeps a listed key's states: the polled key's name and the listed key's
    short hash (names may repeat; never a secret)."""
    return f"{spec.name}/{key.hash_[:12]}"


def key_alerts_due(
    spec: KeySpec, keys: list[ApiKey], now: dt.datetime, book: AlertBook
) -> list[tuple[ApiKey, str, bool, str]]:
    """The alerts a listing calls for (``key_below_fraction``, ``key_will_exhaust``): (key, threshold,
    now crossed, text), once per crossing and once per recovery of each listed key. A key whose figure
    is unknown (no limit, no pace) keeps its state; a key gone from the listing is forgotten silently."""
    from .._api_key import SOON

    due = []
    for key in keys:
        if key.disabled:
            continue
        checks: list[tuple[str, bool | None, str]] = []
        left, limit = key.limit_left, key.limit
        if spec.key_below_fraction is not None and left is not None and limit:
            fraction = spec.key_below_fraction
            below = left < fraction * limit
            checks.append(("key_below_fraction", below, f"has {money(left)} of its {money(limit)} limit left"))
        if spec.key_will_exhaust and left is not None:
            at = key.exhausts_at(now)
            soon = at is not None and (key.limit_reset is not None or at - now <= SOON)
            when = "" if at is None else at.strftime(" (at %Y-%m-%d %H:%M UTC)")
            checks.append(("key_will_exhaust", soon, f"is bound to reach its limit before its reset{when}"))
        state = listed_key_state(spec, key)
        for threshold, crossed, detail in checks:
            if crossed is None:
                continue
            if book.learning and not book.known(state, threshold):
                book.set(state, threshold, crossed)
                continue
            if crossed == book.get(state, threshold):
                continue
            if crossed:
                text = f"OpenRouter key {key.name} (listed by {spec.name}) {detail}."
            else:
                text = f"OpenRouter key {key.name} (listed by {spec.name}) recovered ({threshold.replace('_', ' ')})."
            due.append((key, threshold, crossed, text))
    return due


def _valid_state(value: Any) -> bool:
    """``{key: {threshold: bool}}``: anything else is a corrupt file, never read as truthy."""
    return isinstance(value, dict) and all(
        isinstance(states, dict) and all(isinstance(below, bool) for below in states.values())
        for states in value.values()
    )


class AlertBook:
    """Which thresholds each key is below, kept in the state directory so a restart does not alert
    again (in memory only without one). A corrupt or wrongly shaped file is moved aside with a warning,
    and the states are learnt again, silently, from the first polls."""

    FILE = "alerts.json"

    def __init__(self, state: StateDir | None) -> None:
        self._dir = state
        existed = state is not None and state.file(self.FILE).exists()
        loaded = None if state is None else state.load_json(self.FILE, _valid_state)
        self.state: dict[str, dict[str, bool]] = {} if loaded is None else loaded
        #: The file was corrupt: the first known figures set each state without an alert (no storm).
        self.learning = existed and loaded is None

    def known(self, key: str, threshold: str) -> bool:
        return threshold in self.state.get(key, {})

    def get(self, key: str, threshold: str) -> bool:
        return self.state.get(key, {}).get(threshold, False)

    def set(self, key: str, threshold: str, below: bool) -> None:
        self.state.setdefault(key, {})[threshold] = below
        if self._dir is None:
            return
        try:
            self._dir.write_json(self.FILE, self.state)
        except OSError as exc:
            logger.warning("Could not keep the alert state in %s: %s", self._dir.file(self.FILE), exc.strerror or exc)
