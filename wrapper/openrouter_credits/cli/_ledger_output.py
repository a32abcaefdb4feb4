"""What the ledger's commands print: months, breakdowns, reconciliation and history as a table,
JSON, CSV or FOCUS. Amounts in JSON are numbers (exact decimals rounded to a float once), in CSV
exact decimal text; a gap is ``gap`` (table), null (JSON) or empty (CSV), never 0."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .._forecast import Range, forecast_spend
from .._format import estimate_dollars, money
from ..ledger._history import spend_history
from ..ledger._ledger import Ledger
from ..ledger._nano import dollars, dollars_text
from ..ledger._reports import Month, breakdown, day_totals, months
from ._output import _bar

if TYPE_CHECKING:
    from .._apps.teams import Teams
    from ..ledger._reports import Line

__all__ = ["broken_down", "history", "month_end", "monthly", "reconciliation"]


def _usd(nano: int | None) -> float | None:
    return None if nano is None else float(dollars(nano))


def _money(nano: int | None) -> str:
    return "gap" if nano is None else money(float(dollars(nano)))


def _table(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(w) if r else cell.ljust(w) for cell, w, r in zip(row, widths, right, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def month_end(ledger: Ledger, now: dt.datetime, current: Month) -> tuple[Range | None, str]:
    """The current month's spend by its end, with its range, and the forecast's method: the forecast
    of the ledger's days (``_forecast``) from now, after what the month (``current``) spent so far
    when the ledger holds today's spend so far; else from today's start, after the month's completed
    days. None when the ledger lacks a day of the month before today."""
    forecast = forecast_spend(spend_history(ledger, now.date()), at=now)
    if current.usage_nano is not None and not current.gaps and current.end == now.date():
        return forecast.month_end_spend(float(dollars(current.usage_nano))), forecast.method
    return forecast.month_end_spend(), forecast.method


def _projection(projected: Range | None, method: str) -> str:
    """``$5.90 projected ($5.20 to $6.60, weekday)``."""
    if projected is None:
        return ""
    spread = "" if projected.low is None or projected.high is None else f"{money(projected.low)} to "
    spread += "" if projected.high is None else f"{money(projected.high)}, "
    return f"{money(projected.central)} projected ({spread}{method})"


def _change(month: Month, previous: Month | None, previous_same_days: int | None) -> float | None:
    base = previous_same_days if month.current else (previous.usage_nano if previous else None)
    if base is None or month.usage_nano is None or base <= 0 or (previous is not None and previous.gaps):
        return None
    return month.usage_nano / base - 1


def monthly(ledger: Ledger, now: dt.datetime, output: str) -> str:
    """The last 12 months and this month so far: spend, change from the month before, a bar."""
    found = months(ledger, now.date())
    current = found[-1]
    same_days = None
    compared = ""  # the current month's change is from the same days of the month before: which
    if len(found) > 1 and current.usage_nano is not None:
        previous = found[-2]
        end = min(previous.start + dt.timedelta(days=(current.end - current.start).days), previous.end)
        compared = f"{current.start:%Y-%m} so far is from the same days of {previous.start:%Y-%m} (1 to {end.day})"
        totals = day_totals(ledger, previous.start, end)
        if all(t.usage_nano is not None for t in totals):
            same_days = sum(t.usage_nano or 0 for t in totals)
    changes = [_change(m, found[i - 1] if i else None, same_days) for i, m in enumerate(found)]
    projected, method = month_end(ledger, now, current)
    records = [
        {
            "month": m.start.strftime("%Y-%m"),
            "usage": _usd(m.usage_nano),
            "byok_usage": _usd(m.byok_nano),
            "change": None if change is None else round(change, 6),
            "days": m.days,
            "gaps": m.gaps,
            "partial_days": m.partial,
            "so_far": m.current,
            "projected": None if projected is None or not m.current else estimate_dollars(projected.central),
            "projected_low": None if projected is None or not m.current else estimate_dollars(projected.low),
            "projected_high": None if projected is None or not m.current else estimate_dollars(projected.high),
            "forecast_method": method if m.current else None,
        }
        for m, change in zip(found, changes, strict=True)
    ]
    if output == "json":
        return json.dumps(records) + "\n"
    if output in ("csv", "focus"):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["month", "usage", "byok_usage", "change", "days", "gaps", "partial_days", "so_far"])
        for m, change in zip(found, changes, strict=True):
            writer.writerow([
                m.start.strftime("%Y-%m"), "" if m.usage_nano is None else dollars_text(m.usage_nano),
                "" if m.byok_nano is None else dollars_text(m.byok_nano), "" if change is None else f"{change:.6f}",
                m.days, m.gaps, m.partial, str(m.current).lower(),
            ])  # fmt: skip
        return out.getvalue()
    largest = max((m.usage_nano or 0 for m in found), default=0)
    rows = [("Month", "Spend", "Change", "")]
    for m, change in zip(found, changes, strict=True):
        notes = []
        if m.current:
            notes.append("; ".join(note for note in ("so far", _projection(projected, method)) if note))
        if m.gaps and m.usage_nano is not None:
            notes.append(f"{m.gaps} day{'s' if m.gaps > 1 else ''} missing")
        spend = "no data" if m.usage_nano is None else _money(m.usage_nano)
        bar = _bar(m.usage_nano or 0, largest, False) if m.usage_nano else ""
        shown = "-" if change is None else f"{change:+.1%}"
        rows.append(
            (m.start.strftime("%Y-%m"), spend, shown, (bar + ("  " if bar and notes else "") + ", ".join(notes)))
        )
    lines = _table(rows, (False, True, True, False))
    known = [m.usage_nano for m in found if m.usage_nano is not None]
    total = sum(known)
    lines.append(f"Total {_money(total)} over {len(known)} month{'s' if len(known) != 1 else ''} with data")
    if changes[-1] is not None:
        lines.append(f"Change is from the month before; {compared}")
    return "\n".join(lines) + "\n"


def ledger_team(ledger: Ledger, teams: Teams) -> Callable[[str], tuple[str, str]]:
    """A ledger line's key (a hash, ``label:NAME``, ``ambiguous:NAME`` or not broken down) as its team:
    the one rule (``_apps.teams.team_of``) over what the ledger knows of the key. A key known by name
    only is matched by name (its team unknown when a label, a hash or a workspace would decide); a
    name two keys share, by the team of both when they agree."""
    from .._apps.teams import UNKNOWN, KeyRef, team_of
    from ..ledger._reports import NOT_BROKEN_DOWN, key_records

    records, named = key_records(ledger)

    def of_hash(key_hash: str, name: str | None = None) -> KeyRef:
        record = records.get(key_hash)
        if record is None:
            return KeyRef(name, None, key_hash)
        return KeyRef(
            record.name, record.label or None, key_hash, record.workspace_id or None, record.workspace_name or None
        )

    def team(value: str) -> tuple[str, str]:
        if value == NOT_BROKEN_DOWN:
            return value, value
        kind, _, name = value.partition(":")
        if kind == "label":
            found = team_of(KeyRef(name), teams)
        elif kind == "ambiguous":
            each = {team_of(of_hash(key_hash, name), teams) for key_hash in named.get(name, ())}
            found = each.pop() if len(each) == 1 else UNKNOWN
        else:
            found = team_of(of_hash(value), teams)
        return found, found

    return team


def broken_down(
    ledger: Ledger,
    start: dt.date,
    end: dt.date,
    dimensions: Sequence[str],
    output: str,
    today: dt.date,
    *,
    teams: Teams | None = None,
    warn: Callable[[str], None] | None = None,
) -> str:
    """A period by ``dimensions`` (none: its total), the most spent first; then the total, which is
    the sum of the lines, and the gaps. ``team`` breaks it down by the key and groups the keys by
    ``teams``; with ``teams``, FOCUS's ``Tags`` say each row's team. A period none of whose days is
    in the ledger has no total (null, "no data"); ``warn`` hears of FOCUS's missing days."""
    from ..ledger._focus import focus_csv
    from ..ledger._reports import regrouped

    asked = ["key" if dim == "team" else dim for dim in dimensions]
    team = None if teams is None else ledger_team(ledger, teams)
    if output == "focus":
        dims = asked or ["key", "model"]
        lines, gaps = breakdown(ledger, start, end, dims, by_day=True)
        if gaps and warn is not None:  # FOCUS has no row for "unknown": a missing day is said here, not as $0
            warn(
                f"note: {len(gaps)} day{'s' if len(gaps) > 1 else ''} not in the ledger (gaps, not $0) have no rows "
                f"in the export: {_days(gaps)}"
            )
        return focus_csv(
            lines, dims, None if team is None else _team_tags(team, dims.index("key") if "key" in dims else None)
        )
    lines, gaps = breakdown(ledger, start, end, asked)
    if "team" in dimensions:
        assert team is not None
        lines = regrouped(lines, list(dimensions).index("team"), team)
    days = (end - start).days + 1
    # Unknown is not $0: a period no day of which is in the ledger has no total.
    total = None if len(gaps) == days else sum(line.usage_nano for line in lines)
    if output == "json":
        return json.dumps({
            "from": start.isoformat(), "to": end.isoformat(), "by": list(dimensions),
            "rows": [
                {**{dim: name for dim, name in zip(dimensions, line.names, strict=True)},
                 **({"key_hash": line.values[list(dimensions).index("key")]
                     if "key" in dimensions and len(line.values[list(dimensions).index("key")]) == 64 else None}
                    if "key" in dimensions else {}),
                 "usage": _usd(line.usage_nano), "byok_usage": _usd(line.byok_nano), "requests": line.requests,
                 "sources": sorted(line.sources)}
                for line in lines
            ],
            "total": _usd(total), "gaps": [day.isoformat() for day in gaps],
        }) + "\n"  # fmt: skip
    if output == "csv":
        # Data rows only (no total row: a finance tool sums the column), then a row per day not in the
        # ledger: its date in ``gap``, its amounts empty (unknown, never 0).
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*dimensions, "usage", "byok_usage", "requests", "sources", "gap"])
        for line in lines:
            writer.writerow([
                *line.names, dollars_text(line.usage_nano),
                "" if line.byok_nano is None else dollars_text(line.byok_nano),
                "" if line.requests is None else line.requests, "+".join(sorted(line.sources)), "",
            ])  # fmt: skip
        for day in gaps:
            writer.writerow([*[""] * len(dimensions), "", "", "", "", day.isoformat()])
        return out.getvalue()
    period = f"{start.isoformat()} to {end.isoformat()}"
    if total is None:
        plural = "s" if days > 1 else ""
        return f"{period}: no data: none of its {days} day{plural} is in the ledger (unknown, not $0)\n"
    if not dimensions:
        text = f"{period}: {_money(total)}"
    else:
        rows = [(*[dim.capitalize() for dim in dimensions], "Spend", "Share")]
        for line in lines:
            share = "-" if total <= 0 else f"{line.usage_nano / total:.1%}"
            rows.append((*line.names, _money(line.usage_nano), share))
        table = _table(rows, (*[False] * len(dimensions), True, True))
        text = "\n".join(table) + f"\nTotal {_money(total)} from {period}"
    if gaps:
        text += f"\n{len(gaps)} day{'s' if len(gaps) > 1 else ''} not in the ledger (gaps, not $0): {_days(gaps)}"
    if end >= today:
        text += "\nToday is counted so far."
    return text + "\n"


def _team_tags(team: Callable[[str], tuple[str, str]], key: int | None) -> Callable[[Line], dict[str, str] | None]:
    """FOCUS's Tags of a line: its key's team (None where the key, hence the team, is not known)."""
    from .._apps.teams import UNKNOWN
    from ..ledger._reports import NOT_BROKEN_DOWN

    def tags(line: Line) -> dict[str, str] | None:
        found = NOT_BROKEN_DOWN if key is None else team(line.values[key])[0]
        return None if found in (NOT_BROKEN_DOWN, UNKNOWN) else {"team": found}

    return tags


def _days(days: Sequence[dt.date]) -> str:
    shown = [day.isoformat() for day in days[:5]]
    return ", ".join(shown) + (f" and {len(days) - 5} more" if len(days) > 5 else "")


def reconciliation(ledger: Ledger, start: dt.date, end: dt.date, today: dt.date, output: str) -> str:
    """The days whose sources disagree, with every source's figure and the likely reason."""
    from ..ledger._reconcile import reconcile

    every = reconcile(ledger, start, end, today)
    rows = [row for row in every if row.differs]
    gaps = [r.day for r in every if all(v is None for v in (r.activity, r.key_snapshots, r.analytics, r.credits))]
    if output == "json":
        return json.dumps([
            {"date": r.day.isoformat(), "activity": _usd(r.activity), "key_snapshots": _usd(r.key_snapshots),
             "analytics": _usd(r.analytics), "credits": _usd(r.credits), "byok_usage": _usd(r.byok), "reason": r.reason}
            for r in rows
        ]) + "\n"  # fmt: skip
    gap_note = (
        f"{len(gaps)} day{'s' if len(gaps) != 1 else ''} no source covers (gaps): {_days(gaps)}\n" if gaps else ""
    )
    if not rows:
        return f"The sources agree on every day they cover from {start} to {end} (within 1 % or $0.01).\n" + gap_note
    table: list[tuple[str, ...]] = [("Date", "Activity", "Keys", "Analytics", "/credits", "Likely reason")]
    for r in rows:
        table.append(
            (r.day.isoformat(), *(_dash(v) for v in (r.activity, r.key_snapshots, r.analytics, r.credits)), r.reason)
        )
    lines = _table(table, (False, True, True, True, True, False))
    lines.append(
        f"{len(rows)} day{'s' if len(rows) > 1 else ''} from {start} to {end} differ by more than 1 % or $0.01"
    )
    return "\n".join(lines) + "\n" + gap_note


def _dash(nano: int | None) -> str:
    return "-" if nano is None else money(float(dollars(nano)))


def history(ledger: Ledger, today: dt.date, days: int, as_json: bool, unicode: bool) -> str:
    """The daily chart of the last ``days`` completed days; gaps shown as gaps."""
    totals = day_totals(ledger, today - dt.timedelta(days=days), today - dt.timedelta(days=1))
    if as_json:
        return (
            json.dumps([{"date": t.day.isoformat(), "usage": _usd(t.usage_nano), "source": t.source} for t in totals])
            + "\n"
        )
    largest = max((t.usage_nano or 0 for t in totals), default=0)
    amounts = [_money(t.usage_nano) for t in totals]
    width = max((len(a) for a in amounts), default=0)
    lines = []
    for total, amount in zip(totals, amounts, strict=True):
        bar = "" if total.usage_nano is None else _bar(total.usage_nano, largest, unicode)
        lines.append(f"{total.day.isoformat()} {amount:>{width}} {bar}".rstrip())
    known = [t.usage_nano for t in totals if t.usage_nano is not None]
    gaps = len(totals) - len(known)
    summary = f"Total {_money(sum(known))} over {len(known)} days"
    if known:
        summary += f", {_money(round(sum(known) / len(known)))} a day on average"
    if gaps:
        summary += f"; {gaps} day{'s' if gaps > 1 else ''} not in the ledger (gaps, not $0)"
    return "\n".join([*lines, summary]) + "\n"
