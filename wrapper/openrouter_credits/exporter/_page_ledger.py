"""The ledger's part of the status page (``serve --ledger``): its last 12 months and this one as a bar
chart, a month not in the ledger marked as such (never drawn as $0), and how its sources agreed over
the last 30 days. ``LedgerView`` is what the ledger's writer reads after each write, off the event
loop (``_ledger_hook.ledger_view``); ``ledger_section`` renders it, a pure function like the rest of
the page (``_page``)."""

from __future__ import annotations

import datetime as dt

import attrs

from ._page_chart import _PLOT, CHART_HEIGHT
from ._page_text import dollars, shown_text

__all__ = ["LedgerView", "MonthSpend", "ledger_section"]


@attrs.frozen
class MonthSpend:
    """One month's spend in the ledger: ``usage`` None when no day of it is in the ledger (never $0),
    ``gaps`` its days no source covered, ``current`` this month (so far)."""

    month: dt.date
    usage: float | None
    gaps: int = 0
    current: bool = False


@attrs.frozen
class LedgerView:
    """The ledger's part of the page (``serve --ledger``): the last 12 months and this one, oldest
    first; and over the days from ``start`` to ``end``, how its sources agreed: ``compared`` the days
    that two sources or more cover, ``differing`` those whose figures differ by more than 1 % or $0.01,
    ``single`` the days one source alone covers, ``gaps`` the days none does. ``unreadable``: the kind
    of failure when the ledger could not be read (the rest is then empty)."""

    months: tuple[MonthSpend, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    compared: int = 0
    differing: tuple[dt.date, ...] = ()
    single: int = 0
    gaps: int = 0
    unreadable: str | None = None


MONTH_STEP = 40  # px a month: 13 months in 520 px


def _month_bar(index: int, month: MonthSpend, top: float) -> str:
    """One month's bar, its dollars in its title; a month not in the ledger a grey line, never $0."""
    label = month.month.strftime("%Y-%m")
    x = index * MONTH_STEP
    if month.usage is None:
        return (
            f'<rect class="none" x="{x}" y="{_PLOT - 1}" width="{MONTH_STEP - 4}" height="1">'
            f"<title>{label}: not in the ledger</title></rect>"
        )
    notes = ["so far"] if month.current else []
    if month.gaps:
        notes.append(f"{month.gaps} day{'s' if month.gaps != 1 else ''} missing")
    said = f" ({', '.join(notes)})" if notes else ""
    height = _PLOT * month.usage / top if top > 0 and month.usage > 0 else 0.0
    return (
        f'<rect class="bar" x="{x}" y="{_PLOT - height:.1f}" width="{MONTH_STEP - 4}" height="{height:.1f}">'
        f"<title>{label}: {dollars(month.usage)}{said}</title></rect>"
    )


def ledger_section(view: LedgerView) -> str:
    """The ledger's months as a bar chart (a month not in the ledger is marked, never drawn as $0), and
    how its sources agreed over the last 30 days."""
    if view.unreadable is not None:
        return (
            '<section id="ledger"><h2>The ledger</h2><p class="reason">The ledger could not be read '
            f"({shown_text(view.unreadable)}): see the log.</p></section>"
        )
    top = max([month.usage or 0.0 for month in view.months], default=0.0)
    width = MONTH_STEP * len(view.months)
    first, last = (view.months[0].month, view.months[-1].month) if view.months else (None, None)
    chart = (
        f'<svg class="chart" role="img" width="{width}" height="{CHART_HEIGHT}" viewBox="0 0 {width} {CHART_HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg"><desc>Spend per month, the largest {dollars(top)}</desc>'
        + "".join([_month_bar(index, month, top) for index, month in enumerate(view.months)])
        + (f'<text x="0" y="{CHART_HEIGHT - 2}">{first:%Y-%m}</text><text x="{width}" y="{CHART_HEIGHT - 2}" '
           f'text-anchor="end">{last:%Y-%m}</text>' if first and last else "")
        + "</svg>"
    )  # fmt: skip
    parts = [f'<section id="ledger"><h2>The ledger: the last 12 months and this one</h2>{chart}']
    if view.start is not None and view.end is not None:
        period = f"from {view.start.isoformat()} to {view.end.isoformat()}"
        if view.compared:
            agreed = view.compared - len(view.differing)
            text = f"The sources agree on {agreed} of the {view.compared} days two or more of them cover, {period}"
            if view.differing:
                shown = ", ".join(day.isoformat() for day in view.differing[:5])
                more = f" and {len(view.differing) - 5} more" if len(view.differing) > 5 else ""
                text += f"; they differ by more than 1 % or $0.01 on {shown}{more} (report --reconcile says why)"
        else:
            text = f"No day {period} is covered by two sources, to compare"
        extra = []
        if view.single:
            extra.append(f"{view.single} covered by one source")
        if view.gaps:
            extra.append(f"{view.gaps} by none (gaps)")
        parts.append(f'<p class="agreement">{text}{"; " + ", ".join(extra) if extra else ""}.</p>')
    parts.append("</section>")
    return "".join(parts)
