"""The status page, ``GET /``: one HTML page for people, from what the exporter already knows.

For each key: remaining, spendable, days left and its state (ok, below a threshold, spiking, or
failing, with the reason), and 30 days of spend as an SVG bar chart drawn here (one ``<rect
class="bar">`` a day, a ``<title>`` giving the date and amount). When a key discovers the account's
keys (``KeyState.listed``, filled by the discovery poll from ``GET /keys``) the page adds the keys
closest to their limits; when spend per model is known (``KeyState.models``), the top models. Without
that data those sections are simply absent.

No JavaScript, no external assets (the style is inline), never a key (only names the file gives, and
the labels OpenRouter lists). ``snapshot_of`` takes the states; ``render_page`` is a pure function of
the snapshot, rendered at most once per poll by the exporter (like /metrics), in about a millisecond
for 50 keys and 1,000 discovered keys (``bench/page.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
from collections.abc import Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING

import attrs

from .._activity import ACTIVITY_DAYS, DailySpend
from .._apps.spike import spike_of
from .._format import days, money
from .._money import exact_sum

if TYPE_CHECKING:
    from .._activity import Activity
    from .._api_key import ApiKey
    from ._poll import KeyState

__all__ = ["KeyView", "Snapshot", "render_page", "snapshot_of"]

#: How many discovered keys and models the page lists.
TOP_KEYS = 20
TOP_MODELS = 10

CHART_WIDTH = 600
CHART_HEIGHT = 120
_PLOT = CHART_HEIGHT - 16  # the bars' height; the dates below
_STEP = CHART_WIDTH // ACTIVITY_DAYS  # 20 px a day


@attrs.frozen
class KeyView:
    """One watched key, as the page shows it. ``state``: ``"ok"``, ``"below"`` (a threshold or a
    spike) or ``"failing"``; ``reason`` says why when not ok, or why a figure is unknown."""

    name: str
    state: str
    reason: str | None = None
    remaining: float | None = None
    spendable: float | None = None
    days_left: float | None = None
    spend_per_day: float | None = None
    daily: tuple[DailySpend, ...] | None = None
    daily_unknown: str | None = None


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
    discovered keys as (watched key, listed key); the spend per model as (watched key, model spend).
    The last two are empty when no key discovers."""

    at: dt.datetime
    keys: tuple[KeyView, ...]
    listed: tuple[tuple[str, ListedKey], ...] = ()
    models: tuple[tuple[str, ModelSpend], ...] = ()
    #: (watched key, why) for each discovering key whose listing holds only the default workspace's keys.
    default_only: tuple[tuple[str, str], ...] = ()


def _view(name: str, state: KeyState, now: dt.datetime) -> KeyView:
    balance, spec = state.balance, state.spec
    if not state.up or balance is None:
        why = state.problem or ("not polled yet" if not state.polled else "the last poll failed")
        return KeyView(name, "failing", why)
    reasons = []
    if spec.below is not None and balance.spendable is not None and balance.spendable < spec.below:
        reasons.append(f"may spend {money(balance.spendable)}, under its threshold of {money(spec.below)}")
    if spec.days_below is not None and balance.days_left is not None and balance.days_left < spec.days_below:
        reasons.append(f"{days(balance.days_left)} days left, under its threshold of {spec.days_below:g}")
    if spec.spike is not None:
        spike, _ = spike_of(balance, now, today=state.today_spend())
        if spike is not None and spike.tripped(spec.spike, spec.spike_min_dollars):
            reasons.append(f"spike: {spike.describe()}")
    return KeyView(
        name,
        "below" if reasons else "ok",
        "; ".join(reasons) or None,
        balance.remaining,
        balance.spendable,
        balance.days_left,
        balance.spend_per_day,
        balance.daily_spend,
        balance.unknown.get("daily_spend"),
    )


def snapshot_of(states: Mapping[str, KeyState], at: float) -> Snapshot:
    """The page's data from the exporter's states at ``at`` (seconds since the epoch)."""
    now = dt.datetime.fromtimestamp(at, dt.UTC)
    return Snapshot(
        now,
        tuple(_view(name, state, now) for name, state in states.items()),
        tuple((name, _listed(key)) for name, state in states.items() for key in state.listed or ()),
        tuple((name, model) for name, state in states.items() for model in _models(state)),
        tuple(
            (name, state.listed.workspaces_note or "")
            for name, state in states.items()
            if state.listed is not None and not state.listed.complete
        ),
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
dl{display:grid;grid-template-columns:repeat(4,max-content);gap:0 1.5em;margin:.5em 0}dt{color:#646970}
dd{margin:0;font-size:1.2em;font-variant-numeric:tabular-nums}.reason{margin:.3em 0;color:#50575e}
rect.bar{fill:#3b82c4}rect.bar:hover{fill:#1d5a91}svg text{font-size:11px;fill:#646970}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.2em .8em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr:nth-child(even){background:#f6f7f7}
"""

_STATE_WORDS = {"ok": "ok", "below": "below threshold", "failing": "failing"}


def _amount(value: float | None) -> str:
    return "unknown" if value is None else money(value)


def _dollars(value: float) -> str:
    """``money``, quicker for the common case (a chart has a bar a day for each key)."""
    return f"${value:,.2f}" if value >= 0.005 else money(value)


@functools.lru_cache(maxsize=64)
def _day_label(day: dt.date) -> str:
    return day.isoformat()


@functools.lru_cache(maxsize=4096)
def _bar(index: int, day: dt.date, usage: float, top: float) -> str:
    """One day's bar (cached: past days' spend changes rarely, so a new poll redraws little)."""
    height = _PLOT * usage / top if top > 0 and usage > 0 else 0.0
    return (
        f'<rect class="bar" x="{index * _STEP}" y="{_PLOT - height:.1f}" width="{_STEP - 2}" height="{height:.1f}">'
        f"<title>{_day_label(day)}: {_dollars(usage)}</title></rect>"
    )


def _chart(daily: tuple[DailySpend, ...]) -> str:
    """A bar a day, scaled to the largest day, the first and last dates below."""
    top = max([day.usage for day in daily], default=0.0)
    first, last = (_day_label(daily[0].date), _day_label(daily[-1].date)) if daily else ("", "")
    return (
        f'<svg class="chart" role="img" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
        f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<desc>Spend per UTC day, the largest {_dollars(top)}</desc>"
        + "".join([_bar(index, day.date, day.usage, top) for index, day in enumerate(daily)])
        + f'<text x="0" y="{CHART_HEIGHT - 2}">{first}</text>'
        f'<text x="{CHART_WIDTH}" y="{CHART_HEIGHT - 2}" text-anchor="end">{last}</text></svg>'
    )


def _key_section(view: KeyView) -> str:
    name = escape(view.name)
    parts = [
        f'<section class="key" id="key-{name}"><h2>{name}'
        f'<span class="state {view.state}">{_STATE_WORDS[view.state]}</span></h2>'
    ]
    if view.reason:
        parts.append(f'<p class="reason">{escape(view.reason)}</p>')
    if view.state != "failing":
        left = "unknown" if view.days_left is None else days(view.days_left)
        parts.append(
            f"<dl><dt>Remaining</dt><dt>Spendable</dt><dt>Days left</dt><dt>Spend per day</dt>"
            f'<dd class="remaining">{_amount(view.remaining)}</dd><dd class="spendable">{_amount(view.spendable)}</dd>'
            f'<dd class="days-left">{left}</dd><dd>{_amount(view.spend_per_day)}</dd></dl>'
        )
        if view.daily is not None:
            total = exact_sum(day.usage for day in view.daily)
            parts.append(f"<p>30-day spend: {money(total)}</p>{_chart(view.daily)}")
        elif view.daily_unknown:
            parts.append(f'<p class="reason">30-day spend unknown: {escape(view.daily_unknown)}</p>')
    parts.append("</section>")
    return "".join(parts)


def _closest(listed: Iterable[tuple[str, ListedKey]]) -> str:
    limited = [(key.used, owner, key) for owner, key in listed if key.used is not None]
    if not limited:
        return ""
    rows = [
        f"<tr><td>{escape(key.name)}</td><td>{escape(owner)}</td><td class=n>{money(key.usage)}</td>"
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
    rows = [f"<tr><td>{escape(model)}</td><td class=n>{_dollars(dollars)}</td></tr>" for model, dollars in ranked]
    return (
        f'<section id="models"><h2>Top models ({escape(window)})</h2><table><tr><th>Model</th><th>Spend</th></tr>'
        + "".join(rows)
        + "</table></section>"
    )


def render_page(snapshot: Snapshot) -> bytes:
    """The page, UTF-8 HTML: a pure function of ``snapshot``."""
    counts = {state: sum(view.state == state for view in snapshot.keys) for state in _STATE_WORDS}
    summary = ", ".join(f"{count} {_STATE_WORDS[state]}" for state, count in counts.items() if count)
    body = "".join(_key_section(view) for view in snapshot.keys)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="refresh" content="60">'
        f"<title>OpenRouter credits</title><style>{STYLE}</style></head><body>"
        f"<h1>OpenRouter credits</h1>"
        f'<p class="at">{len(snapshot.keys)} key(s): {summary or "none"}. As of '
        f'{snapshot.at:%Y-%m-%d %H:%M:%S} UTC. <a href="/metrics">/metrics</a> '
        f'<a href="/healthz">/healthz</a></p>'
        f"{body}{_closest(snapshot.listed)}{_default_only(snapshot.default_only)}{_top_models(snapshot.models)}"
        "</body></html>"
    ).encode()
