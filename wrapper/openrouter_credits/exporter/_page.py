"""The status page, ``GET /``: one HTML page for people, from what the exporter already knows.

For each key: remaining, spendable, days left (with its 80 % range), the key's own limit and usage
(where the command shows them), its state (starting, ok, below a threshold or spiking, unchecked: a
threshold whose figure is unknown, or failing, with the reason: the kind of failure, never a file's
path), 30 days of spend as an SVG bar chart drawn here (one ``<rect class="bar">`` a day, a
``<title>`` giving the date and amount) and the forecast of the next 7 beside them, a band of each
day's range with a line at its central value (``_page_forecast``), and the month's projected end.
When a key discovers the account's
keys (``KeyState.listed``, filled by the discovery poll from ``GET /keys``) the page adds the keys
closest to their limits; when spend per model is known (``KeyState.models``), the top models. Without
that data those sections are simply absent.

No JavaScript, no external assets (the style is inline), never a key (only names the file gives, and
the labels OpenRouter lists). Names from OpenRouter are shortened (the whole name in a ``title``),
isolated (``<bdi>``: a right-to-left name cannot reorder what is around it) and their control
characters shown as escapes. Each section is rendered on its own: one that fails says so, and the
others show. ``snapshot_of`` takes the states; ``render_page`` is a pure function of
the snapshot, rendered at most once per poll by the exporter (like /metrics), in about a millisecond
for 50 keys and 1,000 discovered keys (``bench/page.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._activity import DailySpend
from .._apps.spike import spike_of
from .._defaults import SHOWN_NAME_CHARS
from .._format import days, money
from .._logging import EXPORTER_LOGGER
from .._money import exact_sum
from .._text import printable, shorten
from ._page_chart import _dollars, chart, days_left_words, month_words

if TYPE_CHECKING:
    from .._activity import Activity
    from .._api_key import ApiKey
    from .._apps.teams import Teams, TeamSpend
    from .._forecast import DaysLeft, Forecast, Range
    from ._guards import GuardView
    from ._page_ledger import LedgerView
    from ._poll import KeyState

__all__ = ["KeyView", "OwnKey", "Snapshot", "render_page", "snapshot_of"]

logger = logging.getLogger(EXPORTER_LOGGER)
T = TypeVar("T")

#: How many discovered keys and models the page lists.
TOP_KEYS = 20
TOP_MODELS = 10


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
    its label (never the key), usage, limit (None: none) and limit remaining, and today's usage.

    Made from ``KeyState.listed`` (the discovery poll's ``list_keys()``) by ``snapshot_of``."""

    name: str
    usage: float
    limit: float | None = None
    limit_remaining: float | None = None
    usage_daily: float | None = None

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


def _each(items: Iterable[tuple[str, KeyState]], make: Callable[[str, KeyState], Iterable[T]]) -> list[T]:
    """``make``'s items for each key, a key whose items cannot be made left out (and logged)."""
    made: list[T] = []
    for name, state in items:
        try:
            made += make(name, state)
        except Exception:  # a bug, or text no rule foresaw: this key's part alone is missing
            logger.exception("Key %s: the status page could not show part of it", name)
    return made


def snapshot_of(
    states: Mapping[str, KeyState],
    at: float,
    *,
    unrendered: Collection[str] = (),
    ledger: LedgerView | None = None,
    teams: Teams | None = None,
    guards: tuple[GuardView, ...] = (),
) -> Snapshot:
    """The page's data from the exporter's states at ``at`` (seconds since the epoch); the keys
    whose metrics could not be rendered (``unrendered``) show as failing; the ledger's view as its
    writer last read it; each discovering key's spend per team of ``teams``; the ``guards``."""
    now = dt.datetime.fromtimestamp(at, dt.UTC)
    views = []
    for name, state in states.items():
        try:
            view = _view(name, state, now)
        except Exception:
            logger.exception("Key %s: the status page could not show it", name)
            view = KeyView(name, "failing", "this key could not be shown (see the log)")
        if name in unrendered and view.state != "failing":
            view = attrs.evolve(view, state="failing", reason="its metrics could not be rendered (see the log)")
        views.append(view)
    listed = _each(states.items(), lambda name, state: [(name, _listed(key)) for key in state.listed or ()])
    models = _each(states.items(), lambda name, state: [(name, model) for model in _models(state)])
    default_only = [
        (name, state.listed.workspaces_note or "")
        for name, state in states.items()
        if state.listed is not None and not getattr(state.listed, "complete", True)
    ]
    spends = [
        (name, spend)
        for name, state in states.items()
        if teams and state.teams is not None and state.listed is not None
        for spend in state.team_spends
    ]
    problems = [
        (name, str(conflict))
        for name, state in states.items()
        if state.teams is not None
        for conflict in state.teams.conflicts
    ]
    return Snapshot(
        now,
        tuple(views),
        tuple(listed),
        tuple(models),
        tuple(default_only),
        ledger,
        tuple(spends),
        tuple(problems),
        guards,
    )


def _listed(key: ApiKey) -> ListedKey:
    return ListedKey(key.name or key.label, key.usage, key.limit, key.limit_left, key.usage_daily)


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

_STATE_WORDS = {
    "starting": "starting",
    "ok": "ok",
    "below": "below threshold",
    "unchecked": "threshold unchecked",
    "failing": "failing",
}


def _name(name: str) -> str:
    """A name from OpenRouter as the page shows it: its control characters as escapes, shortened
    (the whole name in a ``title``), isolated from the text around it (``<bdi>``)."""
    whole = printable(name)
    short = shorten(whole, SHOWN_NAME_CHARS)
    title = "" if short == whole else f' title="{escape(whole)}"'
    return f"<bdi{title}>{escape(short)}</bdi>"


def _text(text: str) -> str:
    """A reason or a note (which may quote OpenRouter's text): one line, escaped."""
    return escape(printable(text))


def _amount(value: float | None) -> str:
    return "unknown" if value is None else money(value)


def _spendable(view: KeyView) -> str:
    """Spendable, else what it is at most (``at most $7.50``), else unknown."""
    if view.spendable is None and view.spendable_at_most is not None:
        return f"at most {money(view.spendable_at_most)}"
    return _amount(view.spendable)


def _own(own: OwnKey) -> str:
    """The key's own limit and usage, as the command's ``Key limit`` and ``Key usage`` rows."""
    limit = "none" if own.limit is None else money(own.limit)
    if own.limit is not None and own.reset:
        limit += f" {escape(printable(own.reset))}"
    left = "-" if own.limit is None else _amount(own.left)
    return (
        '<dl class="own"><dt>Key limit</dt><dt>Limit left</dt><dt>Key usage</dt><dt>Today, week, month</dt>'
        f'<dd class="key-limit">{limit}</dd><dd class="key-left">{left}</dd>'
        f'<dd class="key-usage">{money(own.usage)}</dd>'
        f"<dd>{money(own.usage_daily)}, {money(own.usage_weekly)}, {money(own.usage_monthly)}</dd></dl>"
    )


def _key_section(view: KeyView) -> str:
    name = escape(view.name)
    parts = [
        f'<section class="key" id="key-{name}"><h2>{name}'
        f'<span class="state {view.state}">{_STATE_WORDS[view.state]}</span></h2>'
    ]
    if view.reason:
        parts.append(f'<p class="reason">{_text(view.reason)}</p>')
    if view.balance_known:
        left = days_left_words(view.days_left_range, view.days_left)
        method = "" if view.forecast is None else f" <small>{escape(view.forecast.method)}</small>"
        parts.append(
            f"<dl><dt>Remaining</dt><dt>Spendable</dt><dt>Days left</dt><dt>Spend per day</dt>"
            f'<dd class="remaining">{_amount(view.remaining)}</dd><dd class="spendable">{_spendable(view)}</dd>'
            f'<dd class="days-left">{left}</dd><dd>{_amount(view.spend_per_day)}{method}</dd></dl>'
        )
        parts.append(month_words(view.month_end, view.forecast))
        if view.own is not None:
            parts.append(_own(view.own))
        if view.note:
            parts.append(f'<p class="note">{_text(view.note)}</p>')
        if view.daily is not None:
            total = exact_sum(day.usage for day in view.daily)
            parts.append(f"<p>30-day spend: {money(total)}</p>{chart(view.daily, view.forecast)}")
        elif view.daily_unknown and view.note is None:
            parts.append(f'<p class="reason">30-day spend unknown: {_text(view.daily_unknown)}</p>')
    parts.append("</section>")
    return "".join(parts)


def _closest(listed: Iterable[tuple[str, ListedKey]]) -> str:
    limited = [(key.used, owner, key) for owner, key in listed if key.used is not None]
    if not limited:
        return ""
    rows = [
        f'<tr><td class="name">{_name(key.name)}</td><td>{escape(owner)}</td><td class=n>{money(key.usage)}</td>'
        f"<td class=n>{money(key.limit or 0.0)}</td><td class=n>{_amount(key.limit_remaining)}</td>"
        f"<td class=n>{used * 100:.0f}%</td></tr>"
        for used, owner, key in heapq.nlargest(TOP_KEYS, limited, key=lambda item: item[0])
    ]
    return (
        '<section id="listed"><h2>Keys closest to their limits</h2><table><tr><th>Key</th><th>Listed by</th>'
        "<th>Usage</th><th>Limit</th><th>Left</th><th>Used</th></tr>" + "".join(rows) + "</table></section>"
    )


def _default_only(notes: Iterable[tuple[str, str]]) -> str:
    """Under the listed keys: whose listing is only the default workspace's keys, and why."""
    return "".join(
        f'<p class="reason">The keys {escape(owner)} lists are only the default workspace\'s: {escape(why)}.</p>'
        for owner, why in notes
    )


def _top_models(models: Iterable[tuple[str, ModelSpend]]) -> str:
    """The models that cost most over the longest window known, summed over the watched keys."""
    by_window: dict[str, dict[str, float]] = {}
    for _, spend in models:
        totals = by_window.setdefault(spend.window, {})
        totals[spend.model] = totals.get(spend.model, 0.0) + spend.dollars
    if not by_window:
        return ""
    window = "30d" if "30d" in by_window else max(by_window)
    ranked = heapq.nlargest(TOP_MODELS, by_window[window].items(), key=lambda item: item[1])
    rows = [
        f'<tr><td class="name">{_name(model)}</td><td class=n>{_dollars(dollars)}</td></tr>'
        for model, dollars in ranked
    ]
    return (
        f'<section id="models"><h2>Top models ({escape(window)})</h2><table><tr><th>Model</th><th>Spend</th></tr>'
        + "".join(rows)
        + "</table></section>"
    )


def _teams(spends: Iterable[tuple[str, TeamSpend]], problems: Iterable[tuple[str, str]]) -> str:
    """Each team's spend today, this week and this month, as each discovering key lists the keys."""
    rows = [
        f'<tr><td class="name">{escape(spend.team)}</td><td>{escape(owner)}</td><td class=n>{money(spend.day)}</td>'
        f"<td class=n>{money(spend.week)}</td><td class=n>{money(spend.month)}</td><td class=n>{spend.keys}</td></tr>"
        for owner, spend in spends
    ]
    notes = [f'<p class="reason">{_text(why)} (listed by {escape(owner)})</p>' for owner, why in problems]
    if not rows and not notes:
        return ""
    table = (
        "<table><tr><th>Team</th><th>Listed by</th><th>Today</th><th>This week</th><th>This month</th><th>Keys</th>"
        "</tr>" + "".join(rows) + "</table>"
        if rows
        else ""
    )
    return f'<section id="teams"><h2>Spend per team</h2>{table}{"".join(notes)}</section>'


def _section(render: Callable[[], str], what: str) -> bytes:
    """One section as UTF-8; one that cannot be rendered is logged and says so, the others show."""
    try:
        return render().encode()
    except Exception:
        logger.exception("The status page could not show %s", what)
        shown = f"{escape(what)} could not be shown (see the log)."
        return f'<section class="key"><p class="reason">{shown}</p></section>'.encode()


def render_page(snapshot: Snapshot) -> bytes:
    """The page, UTF-8 HTML: a pure function of ``snapshot``."""
    counts = {state: sum(view.state == state for view in snapshot.keys) for state in _STATE_WORDS}
    summary = ", ".join(f"{count} {_STATE_WORDS[state]}" for state, count in counts.items() if count)
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
    sections = [_section(functools.partial(_key_section, view), f"key {view.name}") for view in snapshot.keys]
    sections.append(_section(functools.partial(_closest, snapshot.listed), "the keys closest to their limits"))
    sections.append(
        _section(functools.partial(_default_only, snapshot.default_only), "the note on the default workspace")
    )
    sections.append(_section(functools.partial(_top_models, snapshot.models), "the top models"))
    sections.append(_section(functools.partial(_teams, snapshot.teams, snapshot.team_problems), "the spend per team"))
    if snapshot.ledger is not None:
        from ._page_ledger import ledger_section

        sections.append(_section(functools.partial(ledger_section, snapshot.ledger), "the ledger"))
    if snapshot.guards:
        from ._page_guards import guards_section

        sections.append(_section(functools.partial(guards_section, snapshot.guards), "the guards"))
    return b"".join([head.encode(), *sections, b"</body></html>"])
