"""The status page's sections of what the polls read (``_page``): each watched key (its figures, its
own limit, its 30 days and forecast: ``_page_chart``), the listed keys closest to their limits, the
note on a listing of the default workspace alone, the top models and the spend per team. Each is a
pure function of the snapshot's data, its text from OpenRouter shown safely (``_page_text``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from .._format import limit_words, money
from .._money import exact_sum
from .._text import printable
from ._page_chart import chart, days_left_words, month_words
from ._page_text import STATE_WORDS, amount, dollars, shown_name, shown_text

if TYPE_CHECKING:
    from .._apps.teams import TeamSpend
    from ._page import KeyView, ListedKey, ModelSpend, OwnKey

__all__ = ["closest_keys", "default_only_notes", "key_section", "teams_section", "top_models"]

#: How many discovered keys and models the page lists.
TOP_KEYS = 20
TOP_MODELS = 10


def _spendable(view: KeyView) -> str:
    """Spendable, else what it is at most (``at most $7.50``), else unknown."""
    if view.spendable is None and view.spendable_at_most is not None:
        return f"at most {money(view.spendable_at_most)}"
    return amount(view.spendable)


def _own(own: OwnKey) -> str:
    """The key's own limit and usage, as the command's ``Key limit`` and ``Key usage`` rows."""
    limit = "none" if own.limit is None else money(own.limit)
    if own.limit is not None and own.reset:
        limit += f" {escape(printable(own.reset))}"
    left = "-" if own.limit is None else amount(own.left)
    return (
        '<dl class="own"><dt>Key limit</dt><dt>Limit left</dt><dt>Key usage</dt><dt>Today, week, month</dt>'
        f'<dd class="key-limit">{limit}</dd><dd class="key-left">{left}</dd>'
        f'<dd class="key-usage">{money(own.usage)}</dd>'
        f"<dd>{money(own.usage_daily)}, {money(own.usage_weekly)}, {money(own.usage_monthly)}</dd></dl>"
    )


def key_section(view: KeyView) -> str:
    name = escape(view.name)
    parts = [
        f'<section class="key" id="key-{name}"><h2>{name}'
        f'<span class="state {view.state}">{STATE_WORDS[view.state]}</span></h2>'
    ]
    if view.reason:
        parts.append(f'<p class="reason">{shown_text(view.reason)}</p>')
    if view.balance_known:
        left = days_left_words(view.days_left_range, view.days_left)
        method = "" if view.forecast is None else f" <small>{escape(view.forecast.method)}</small>"
        parts.append(
            f"<dl><dt>Remaining</dt><dt>Spendable</dt><dt>Days left</dt><dt>Spend per day</dt>"
            f'<dd class="remaining">{amount(view.remaining)}</dd><dd class="spendable">{_spendable(view)}</dd>'
            f'<dd class="days-left">{left}</dd><dd>{amount(view.spend_per_day)}{method}</dd></dl>'
        )
        parts.append(month_words(view.month_end, view.forecast))
        if view.own is not None:
            parts.append(_own(view.own))
        if view.note:
            parts.append(f'<p class="note">{shown_text(view.note)}</p>')
        if view.daily is not None:
            total = exact_sum(day.usage for day in view.daily)
            parts.append(f"<p>30-day spend: {money(total)}</p>{chart(view.daily, view.forecast)}")
        elif view.daily_unknown and view.note is None:
            parts.append(f'<p class="reason">30-day spend unknown: {shown_text(view.daily_unknown)}</p>')
    parts.append("</section>")
    return "".join(parts)


def closest_keys(listed: Iterable[tuple[str, ListedKey]]) -> str:
    """The listed keys that used most of their limits: each with the usage its limit counts (today's
    for a daily limit, this week's, this month's, the lifetime's for a limit without a reset), its
    limit and window (``$0.03/day``: ``limit_words``, as the command's ``keys`` table), what is left
    and the share used."""
    limited = [(key.used, owner, key) for owner, key in listed if key.used is not None]
    if not limited:
        return ""
    rows = [
        f'<tr><td class="name">{shown_name(key.name)}</td><td>{escape(owner)}</td>'
        f"<td class=n>{amount(key.window_usage)}</td>"
        f"<td class=n>{escape(limit_words(key.limit or 0.0, key.reset))}</td>"
        f"<td class=n>{amount(key.limit_remaining)}</td><td class=n>{used * 100:.0f}%</td></tr>"
        for used, owner, key in heapq.nlargest(TOP_KEYS, limited, key=lambda item: item[0])
    ]
    return (
        '<section id="listed"><h2>Keys closest to their limits</h2><table><tr><th>Key</th><th>Listed by</th>'
        "<th>Used in its window</th><th>Limit</th><th>Left</th><th>Share used</th></tr>"
        + "".join(rows)
        + "</table></section>"
    )


def default_only_notes(notes: Iterable[tuple[str, str]]) -> str:
    """Under the listed keys: whose listing is only the default workspace's keys, and why."""
    return "".join(
        f'<p class="reason">The keys {escape(owner)} lists are only the default workspace\'s: {escape(why)}.</p>'
        for owner, why in notes
    )


def top_models(models: Iterable[tuple[str, ModelSpend]]) -> str:
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
        f'<tr><td class="name">{shown_name(model)}</td><td class=n>{dollars(spent)}</td></tr>'
        for model, spent in ranked
    ]
    return (
        f'<section id="models"><h2>Top models ({escape(window)})</h2><table><tr><th>Model</th><th>Spend</th></tr>'
        + "".join(rows)
        + "</table></section>"
    )


def teams_section(spends: Iterable[tuple[str, TeamSpend]], problems: Iterable[tuple[str, str]]) -> str:
    """Each team's spend today, this week and this month, as each discovering key lists the keys."""
    rows = [
        f'<tr><td class="name">{escape(spend.team)}</td><td>{escape(owner)}</td><td class=n>{money(spend.day)}</td>'
        f"<td class=n>{money(spend.week)}</td><td class=n>{money(spend.month)}</td><td class=n>{spend.keys}</td></tr>"
        for owner, spend in spends
    ]
    notes = [f'<p class="reason">{shown_text(why)} (listed by {escape(owner)})</p>' for owner, why in problems]
    if not rows and not notes:
        return ""
    table = (
        "<table><tr><th>Team</th><th>Listed by</th><th>Today</th><th>This week</th><th>This month</th><th>Keys</th>"
        "</tr>" + "".join(rows) + "</table>"
        if rows
        else ""
    )
    return f'<section id="teams"><h2>Spend per team</h2>{table}{"".join(notes)}</section>'
