"""The status page, ``GET /``: one HTML page for people, from what the exporter already knows.

For each key: remaining, spendable, days left (with its 80 % range), the key's own limit and usage
(where the command shows them), its state (starting, ok, below a threshold or spiking, unchecked: a
threshold whose figure is unknown, or failing, with the reason: the kind of failure, never a file's
path), 30 days of spend as an SVG bar chart (one ``<rect class="bar">`` a day, a ``<title>`` giving
the date and amount) and the forecast of the next 7 beside them, a band of each day's range with a
line at its central value (``_page_chart``), and the month's projected end. When a key discovers the
account's keys (``KeyState.listed``, filled by the discovery poll from ``GET /keys``) the page adds
the keys closest to their limits; when spend per model is known, the top models; with
``[teams.NAME]`` tables, the spend per team (``_page_sections``); with a ledger, its months
(``_page_ledger``); with guards, theirs (``_page_guards``). Without that data those sections are
simply absent.

No JavaScript, no external assets (the style is inline), never a key (only names the file gives, and
the labels OpenRouter lists). Names from OpenRouter are shortened, isolated and escaped
(``_page_text``). Each section is rendered on its own: one that fails (a bug, or text no rule foresaw)
says so, and the others show; the failure is logged once, in one line (its traceback with --debug),
until the section shows again (``failing``, kept by the exporter between renders).
This module holds the page's data (``Snapshot``, made from the exporter's states by ``snapshot_of``)
and puts the page together (``render_page``, a pure function of the snapshot), rendered at most once
per poll by the exporter (like /metrics), in about a millisecond for 50 keys and 1,000 discovered
keys (``bench/page.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._activity import DailySpend
from .._apps.spike import spike_of
from .._format import days, money
from .._logging import EXPORTER_LOGGER
from ._page_sections import closest_keys, default_only_notes, key_section, teams_section, top_models
from ._page_text import STATE_WORDS

if TYPE_CHECKING:
    from .._activity import Activity
    from .._api_key import ApiKey
    from .._apps.teams import Teams, TeamSpend
    from .._forecast import DaysLeft, Forecast, Range
    from ._guards import GuardView
    from ._page_ledger import LedgerView
    from ._poll import KeyState

__all__ = ["KeyView", "OwnKey", "Snapshot", "page", "render_page", "snapshot_of"]

logger = logging.getLogger(EXPORTER_LOGGER)
T = TypeVar("T")


@attrs.frozen
class OwnKey:
    """The key's own limit and usage (``GET /key``), as the command's ``Key limit`` and ``Key usage``
    rows show them: ``limit`` None for none, ``left`` None when not said, ``reset`` the window."""

    limit: float | None
    left: float | None
    reset: str | None
    usage: float
    usage_daily: float
    usage_weekly: float
    usage_monthly: float


@attrs.frozen
class KeyView:
    """One watched key, as the page shows it. ``state``: ``"starting"`` (no poll has ended yet),
    ``"ok"``, ``"below"`` (a threshold or a spike), ``"unchecked"`` (a threshold whose figure is
    unknown) or ``"failing"`` (the poll failed, or a call of it did: the figures read still show);
    ``reason`` says why when not ok. ``own``: the key's own limit and usage, where the command shows
    them (an ordinary key, or a management key with a limit); ``note``: why the account's figures are
    unknown to this kind of key."""

    name: str
    state: str
    reason: str | None = None
    remaining: float | None = None
    spendable: float | None = None
    days_left: float | None = None
    spend_per_day: float | None = None
    daily: tuple[DailySpend, ...] | None = None
    daily_unknown: str | None = None
    own: OwnKey | None = None
    note: str | None = None
    #: What spendable is at most when it is unknown (an ordinary key's limit; the remaining when /key failed).
    spendable_at_most: float | None = None
    #: Whether the balance was read (its figures show); by default, unless starting or failing.
    known: bool | None = None
    #: The balance's forecast, days left's range and the month's end (``Balance``), when known.
    forecast: Forecast | None = None
    days_left_range: DaysLeft | None = None
    month_end: Range | None = None

    @property
    def balance_known(self) -> bool:
        return self.state not in ("starting", "failing") if self.known is None else self.known


@attrs.frozen
class ListedKey:
    """One of the account's keys, as a management key's ``GET /keys`` lists it (discovered keys):
    its label (never the key), lifetime usage, limit (None: none), limit remaining, today's usage,
    the limit's window (``reset``: ``daily``, ..., None for none) and the usage the limit counts
    (``window_usage``: ``ApiKey.window_usage``, None when unknown).

    Made from ``KeyState.listed`` (the discovery poll's ``list_keys()``) by ``snapshot_of``."""

    name: str
    usage: float
    limit: float | None = None
    limit_remaining: float | None = None
    usage_daily: float | None = None
    reset: str | None = None
    window_usage: float | None = None

    @property
    def used(self) -> float | None:
        """The share of its limit used, 0 to 1 (more for a key over it); None without a limit."""
        if self.limit is None or self.limit <= 0 or self.limit_remaining is None:
            return None
        return (self.limit - self.limit_remaining) / self.limit


@attrs.frozen
class ModelSpend:
    """Dollars spent on one model over a window (``"1d"``, ``"7d"``, ``"30d"``: the exporter's
    ``openrouter_credits_model_spend_dollars{key, model, window}``), from a discovering key's
    ``Activity.by_model()``."""

    model: str
    window: str
    dollars: float


@attrs.frozen
class Snapshot:
    """What the page shows, at ``at`` (an aware UTC time): the watched keys, in the file's order; the
    discovered keys as (watched key, listed key); the spend per model as (watched key, model spend);
    the ledger's months and agreement. The last three are empty when no key discovers or no ledger
    is written."""

    at: dt.datetime
    keys: tuple[KeyView, ...]
    listed: tuple[tuple[str, ListedKey], ...] = ()
    models: tuple[tuple[str, ModelSpend], ...] = ()
    #: (watched key, why) for each discovering key whose listing holds only the default workspace's keys.
    default_only: tuple[tuple[str, str], ...] = ()
    ledger: LedgerView | None = None
    #: (watched key, a team's spend) for each discovering key when ``[teams.NAME]`` tables are given;
    #: (watched key, why) for each conflict that leaves teams' spend unknown.
    teams: tuple[tuple[str, TeamSpend], ...] = ()
    team_problems: tuple[tuple[str, str], ...] = ()
    #: The guards of the config file (``_guards.GuardView``): their mode and last actions.
    guards: tuple[GuardView, ...] = ()
    #: The parts whose data could not be gathered (``the guards``): each shows a note saying so.
    unshown: tuple[str, ...] = ()


def _view(name: str, state: KeyState, now: dt.datetime) -> KeyView:
    balance, spec = state.balance, state.spec
    if not state.polled:
        return KeyView(name, "starting", "the first poll has not ended yet")
    if not state.up or balance is None:
        return KeyView(name, "failing", state.problem or "the last poll failed")
    tripped, unchecked = [], []
    if spec.below is not None:
        at_most = balance.spendable_at_most
        if balance.spendable is None and at_most is not None and at_most < spec.below:
            tripped.append(f"may spend at most {money(at_most)}, under its threshold of {money(spec.below)}")
        elif balance.spendable is None:
            unchecked.append(f"below cannot be checked: {balance.unknown.get('spendable', 'spendable is unknown')}")
        elif balance.spendable < spec.below:
            tripped.append(f"may spend {money(balance.spendable)}, under its threshold of {money(spec.below)}")
    if spec.days_below is not None:
        if balance.days_left is None:
            unchecked.append(f"days_below cannot be checked: {balance.unknown.get('days_left', 'days left unknown')}")
        elif balance.days_left < spec.days_below:
            tripped.append(f"{days(balance.days_left)} days left, under its threshold of {spec.days_below:g}")
    if spec.spike is not None:
        spike, why = spike_of(balance, now, today=state.today_spend())
        if spike is None:
            unchecked.append(f"spike cannot be checked: {why}")
        elif spike.tripped(spec.spike, spec.spike_min_dollars):
            tripped.append(f"spike: {spike.describe()}")
    if state.incomplete is not None:
        status, reasons = "failing", [state.incomplete, *tripped, *unchecked]
    elif tripped:
        status, reasons = "below", [*tripped, *unchecked]
    else:
        status, reasons = ("unchecked" if unchecked else "ok"), unchecked
    key = balance.key
    own = None
    if key is not None and (not key.is_management_key or key.limit is not None):
        own = OwnKey(
            None if key.limit is None else float(key.limit),
            key.limit_left,
            key.limit_reset,
            key.usage,
            key.usage_daily,
            key.usage_weekly,
            key.usage_monthly,
        )
    why = balance.unknown.get("remaining") if key is not None and not key.is_management_key else None
    note = None if why is None else f"This is not a management key: {why}."
    return KeyView(
        name,
        status,
        "; ".join(reasons) or None,
        balance.remaining,
        balance.spendable,
        balance.days_left,
        balance.spend_per_day,
        balance.daily_spend,
        balance.unknown.get("daily_spend"),
        own,
        note,
        spendable_at_most=balance.spendable_at_most,
        known=True,
        forecast=balance.forecast,
        days_left_range=balance.days_left_range,
        month_end=balance.month_end_spend,
    )


def _failed(what: str, failing: set[str] | None) -> None:
    """Log the exception being handled: the page could not show ``what``. Once while it keeps failing
    (``failing``: the parts that failed last time, kept between renders), in one line; its traceback
    only with --debug (the logger at DEBUG)."""
    if failing is not None:
        if what in failing:
            return
        failing.add(what)
    error = sys.exc_info()[1]
    logger.error(
        "The status page could not show %s (%s: %s); it says so on the page until it can",
        what,
        type(error).__name__,
        error,
        exc_info=logger.isEnabledFor(logging.DEBUG),
    )


def _shown(what: str, failing: set[str] | None) -> None:
    """``what`` was shown: said in the log when it had failed before."""
    if failing is not None and what in failing:
        failing.discard(what)
        logger.info("The status page shows %s again", what)


def _each(
    items: Iterable[tuple[str, KeyState]],
    make: Callable[[str, KeyState], Iterable[T]],
    what: str,
    failing: set[str] | None,
    unshown: list[str],
) -> list[T]:
    """``make``'s items for each key, a key whose items cannot be made left out (logged, and named in
    ``unshown``): ``what`` names the part, with ``{}`` for the key's name."""
    made: list[T] = []
    for name, state in items:
        part = what.format(name)
        try:
            made += make(name, state)
        except Exception:  # a bug, or text no rule foresaw: this key's part alone is missing
            _failed(part, failing)
            unshown.append(part)
        else:
            _shown(part, failing)
    return made


def snapshot_of(
    states: Mapping[str, KeyState],
    at: float,
    *,
    unrendered: Collection[str] = (),
    ledger: LedgerView | None = None,
    teams: Teams | None = None,
    guards: Callable[[], tuple[GuardView, ...]] = tuple,
    failing: set[str] | None = None,
) -> Snapshot:
    """The page's data from the exporter's states at ``at`` (seconds since the epoch); the keys
    whose metrics could not be rendered (``unrendered``) show as failing; the ledger's view as its
    writer last read it; each discovering key's spend per team of ``teams``; the ``guards``' views.
    A part whose data cannot be gathered is logged (once while it keeps failing, with ``failing``)
    and named in ``unshown``; a key that cannot be shown shows as failing."""
    now = dt.datetime.fromtimestamp(at, dt.UTC)
    views = []
    for name, state in states.items():
        try:
            view = _view(name, state, now)
        except Exception:
            _failed(f"key {name}", failing)
            view = KeyView(name, "failing", "this key could not be shown (see the log)")
        else:
            _shown(f"key {name}", failing)
        if name in unrendered and view.state != "failing":
            view = attrs.evolve(view, state="failing", reason="its metrics could not be rendered (see the log)")
        views.append(view)
    unshown: list[str] = []
    listed = _each(
        states.items(),
        lambda name, state: [(name, _listed(key)) for key in state.listed or ()],
        "the keys {} lists",
        failing,
        unshown,
    )
    models = _each(
        states.items(), lambda name, state: [(name, model) for model in _models(state)], "the models of key {}",
        failing, unshown,
    )  # fmt: skip
    default_only = _each(
        states.items(),
        lambda name, state: (
            [(name, state.listed.workspaces_note or "")]
            if state.listed is not None and not getattr(state.listed, "complete", True)
            else []
        ),
        "the note on the workspaces key {} lists",
        failing,
        unshown,
    )
    spends = _each(
        states.items(),
        lambda name, state: (
            [(name, spend) for spend in state.team_spends]
            if teams and state.teams is not None and state.listed is not None
            else []
        ),
        "the spend per team of key {}",
        failing,
        unshown,
    )
    problems = _each(
        states.items(),
        lambda name, state: [] if state.teams is None else [(name, str(c)) for c in state.teams.conflicts],
        "the teams' conflicts of key {}",
        failing,
        unshown,
    )
    try:
        guard_views = guards()
    except Exception:
        _failed("the guards' state", failing)
        guard_views = ()
        unshown.append("the guards' state")
    else:
        _shown("the guards' state", failing)
    return Snapshot(
        now,
        tuple(views),
        tuple(listed),
        tuple(models),
        tuple(default_only),
        ledger,
        tuple(spends),
        tuple(problems),
        guard_views,
        tuple(unshown),
    )


def _listed(key: ApiKey) -> ListedKey:
    return ListedKey(
        key.name or key.label,
        key.usage,
        key.limit,
        key.limit_left,
        key.usage_daily,
        key.limit_reset,
        key.window_usage,
    )


def _models(state: KeyState) -> list[ModelSpend]:
    """A discovering key's spend per model over 30 and 7 days (none for the others)."""
    activity: Activity | None = state.activity
    if not state.spec.discover or activity is None:
        return []
    return [
        spend
        for row in activity.by_model()
        for spend in (ModelSpend(row.name, "30d", row.usage), ModelSpend(row.name, "7d", row.usage_7d))
    ]


# --- rendering ---------------------------------------------------------------------------------

STYLE = """
body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#1d2327}
h1{font-size:1.5em;margin-bottom:.2em}.at{color:#646970;margin-top:0}
section.key{border:1px solid #dcdcde;border-radius:6px;padding:.6em 1em;margin:1em 0}
h2{font-size:1.15em;margin:.2em 0}.state{font-size:.8em;padding:.1em .5em;border-radius:3px;margin-left:.5em}
.ok{background:#d7f0dd;color:#0a5b1f}.below{background:#fcf0c3;color:#6b4e00}.failing{background:#f9d6d6;color:#8a1f1f}
.starting,.unchecked{background:#e4e7ea;color:#3c434a}.note{margin:.3em 0;color:#646970;font-size:.9em}
dl{display:grid;grid-template-columns:repeat(4,max-content);gap:0 1.5em;margin:.5em 0}dt{color:#646970}
dd{margin:0;font-size:1.2em;font-variant-numeric:tabular-nums}.reason{margin:.3em 0;color:#50575e}
rect.bar{fill:#3b82c4}rect.bar:hover{fill:#1d5a91}rect.none{fill:#a7aaad}svg text{font-size:11px;fill:#646970}
rect.band{fill:#3b82c4;opacity:.25}line.central{stroke:#1d5a91;stroke-width:2}dd small{color:#646970;font-size:.7em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.2em .8em;text-align:left}
td.name{max-width:30em;overflow-wrap:anywhere}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr:nth-child(even){background:#f6f7f7}
"""


def _note(what: str) -> bytes:
    """The note in place of a section that could not be shown."""
    shown = f"{escape(what[0].upper() + what[1:])} could not be shown (see the log)."
    return f'<section class="key unshown"><p class="reason">{shown}</p></section>'.encode()


def _section(render: Callable[[], str], what: str, failing: set[str] | None) -> bytes:
    """One section as UTF-8; one that cannot be rendered is logged (``_failed``) and says so, the
    others show."""
    try:
        rendered = render().encode()
    except Exception:
        _failed(what, failing)
        return _note(what)
    _shown(what, failing)
    return rendered


def render_page(snapshot: Snapshot, *, failing: set[str] | None = None) -> bytes:
    """The page, UTF-8 HTML: a function of ``snapshot`` (and of ``failing``, the sections that failed
    last time, which it keeps: ``_failed``)."""
    counts = {state: sum(view.state == state for view in snapshot.keys) for state in STATE_WORDS}
    summary = ", ".join(f"{count} {STATE_WORDS[state]}" for state, count in counts.items() if count)
    head = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="refresh" content="60">'
        f"<title>OpenRouter credits</title><style>{STYLE}</style></head><body>"
        f"<h1>OpenRouter credits</h1>"
        f'<p class="at">{len(snapshot.keys)} key(s): {summary or "none"}. As of '
        f'{snapshot.at:%Y-%m-%d %H:%M:%S} UTC. <a href="/metrics">/metrics</a> '
        f'<a href="/healthz">/healthz</a></p>'
    )
    parts: list[tuple[Callable[[], str], str]] = [
        *((functools.partial(key_section, view), f"the section of key {view.name}") for view in snapshot.keys),
        (functools.partial(closest_keys, snapshot.listed), "the keys closest to their limits"),
        (functools.partial(default_only_notes, snapshot.default_only), "the note on the default workspace"),
        (functools.partial(top_models, snapshot.models), "the top models"),
        (functools.partial(teams_section, snapshot.teams, snapshot.team_problems), "the spend per team"),
    ]
    if snapshot.ledger is not None:
        from ._page_ledger import ledger_section

        parts.append((functools.partial(ledger_section, snapshot.ledger), "the ledger"))
    if snapshot.guards:
        from ._page_guards import guards_section

        parts.append((functools.partial(guards_section, snapshot.guards), "the guards"))
    sections = [_section(render, what, failing) for render, what in parts]
    sections += [_note(what) for what in snapshot.unshown]
    return b"".join([head.encode(), *sections, b"</body></html>"])


def page(
    states: Mapping[str, KeyState],
    at: float,
    *,
    failing: set[str],
    unrendered: Collection[str] = (),
    ledger: LedgerView | None = None,
    teams: Teams | None = None,
    guards: Callable[[], tuple[GuardView, ...]] = tuple,
) -> bytes:
    """The status page of the exporter's states (``snapshot_of``, ``render_page``); each part that
    fails logged once while it keeps failing (``failing``, kept by the exporter between renders);
    should the page as a whole fail, a page that says so (never a 500 and a traceback per request)."""
    try:
        snapshot = snapshot_of(
            states, at, unrendered=unrendered, ledger=ledger, teams=teams, guards=guards, failing=failing
        )
        rendered = render_page(snapshot, failing=failing)
    except Exception:
        _failed("the page", failing)
        return b"".join([b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>OpenRouter credits',
                         b"</title></head><body>", _note("the page"), b"</body></html>"])  # fmt: skip
    _shown("the page", failing)
    return rendered
