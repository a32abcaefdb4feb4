"""Reading the ledger: each day's spend from the best source that covered it, by month, broken down,
day by day, and the sources side by side (reconciliation). Pure reads; sums exact (nano-dollars).

**One rule** picks the source of a day (``choose``): a complete day before a partial one, then a
source that breaks the spend down as asked, then the most exact source (``SOURCE_RANK``: /activity,
key snapshots, analytics). Sources are never added together: a day's dollars come from one of them.
A breakdown's dimension that the chosen source does not tell shows as ``(not broken down)``, its
dollars counted, never dropped; a day no source covered is a gap, never $0.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from ._ledger import Ledger, as_date
from ._schema import SOURCE_RANK

__all__ = [
    "BREAKDOWN_DIMENSIONS",
    "DIMENSIONS",
    "NOT_BROKEN_DOWN",
    "Covered",
    "DayTotal",
    "Line",
    "Month",
    "breakdown",
    "choose",
    "day_totals",
    "key_records",
    "months",
    "regrouped",
]

DIMENSIONS = ("key", "model", "provider", "workspace")
NOT_BROKEN_DOWN = "(not broken down)"
#: What each stored breakdown tells (the ledger's ``spend.breakdown`` of each source).
BREAKDOWN_DIMENSIONS: dict[tuple[str, str], frozenset[str]] = {
    ("activity", "model+provider+endpoint"): frozenset({"model", "provider", "endpoint"}),
    ("activity", "workspace+model+provider+endpoint"): frozenset({"workspace", "model", "provider", "endpoint"}),
    ("key-snapshots", "key"): frozenset({"key", "workspace"}),
    ("analytics", "model"): frozenset({"model"}),
    ("analytics", "workspace"): frozenset({"workspace"}),
    ("analytics", "key+model"): frozenset({"key", "model"}),
}
#: The columns of ``spend`` that hold each dimension.
_COLUMNS = {"key": ("key_id", "key_hash", "key_match"), "model": ("model",), "provider": ("provider",),
            "workspace": ("workspace",)}  # fmt: skip


class Covered(NamedTuple):
    """One (source, breakdown)'s answer for one day: complete or not, and its totals."""

    day: dt.date
    source: str
    breakdown: str
    complete: bool
    usage_nano: int
    byok_nano: int | None
    requests: int | None

    @property
    def dimensions(self) -> frozenset[str]:
        return BREAKDOWN_DIMENSIONS.get((self.source, self.breakdown), frozenset())


def choose(covered: Iterable[Covered], dimensions: Iterable[str] = ()) -> Covered | None:
    """The answer a day's figures come from, for a breakdown by ``dimensions`` (the one rule)."""
    wanted = frozenset(dimensions)
    return min(
        covered,
        key=lambda c: (
            not c.complete,
            not wanted <= c.dimensions,
            SOURCE_RANK.get(c.source, 9),
            len(c.dimensions ^ wanted),
            c.breakdown,
        ),
        default=None,
    )


def coverage(ledger: Ledger, start: dt.date, end: dt.date) -> dict[dt.date, list[Covered]]:
    """Every answer held for the days from ``start`` to ``end``, by day."""
    by_day: dict[dt.date, list[Covered]] = defaultdict(list)
    for day, source, breakdown, complete, usage, byok, requests in ledger.query(
        "SELECT day, source, breakdown, complete, usage_nano, byok_nano, requests FROM coverage "
        "WHERE day BETWEEN ? AND ?",
        (start.isoformat(), end.isoformat()),
    ):
        date = as_date(day)
        by_day[date].append(
            Covered(date, str(source), str(breakdown), bool(complete), int(usage),
                    None if byok is None else int(byok), None if requests is None else int(requests))
        )  # fmt: skip
    return by_day


class DayTotal(NamedTuple):
    """A day's spend (None: a gap, no source covered it), from which source, and whether complete."""

    day: dt.date
    usage_nano: int | None
    byok_nano: int | None
    requests: int | None
    source: str | None
    complete: bool


def day_totals(ledger: Ledger, start: dt.date, end: dt.date) -> list[DayTotal]:
    """Each day from ``start`` to ``end``: its total from the chosen source, or a gap."""
    held = coverage(ledger, start, end)
    totals = []
    day = start
    while day <= end:
        chosen = choose(held.get(day, ()))
        if chosen is None:
            totals.append(DayTotal(day, None, None, None, None, False))
        else:
            totals.append(
                DayTotal(day, chosen.usage_nano, chosen.byok_nano, chosen.requests, chosen.source, chosen.complete)
            )
        day += dt.timedelta(days=1)
    return totals


class Month(NamedTuple):
    """One month's spend: the days covered, the gaps, the partial days (today so far included)."""

    start: dt.date
    end: dt.date  # the last day counted (yesterday or today for the current month)
    usage_nano: int | None  # None: no day of it covered
    byok_nano: int | None
    days: int
    gaps: int
    partial: int
    current: bool


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(first: dt.date) -> dt.date:
    return _month_start(first, -1) - dt.timedelta(days=1)


def months(ledger: Ledger, today: dt.date, count: int = 12) -> list[Month]:
    """The ``count`` months before this one and this one so far (today included when a source has
    today's spend so far), oldest first."""
    first = _month_start(today, count)
    totals = day_totals(ledger, first, today)
    result = []
    for back in range(count, -1, -1):
        start = _month_start(today, back)
        current = back == 0
        end = today if current else _month_end(start)
        days = [t for t in totals if start <= t.day <= end]
        if current and days and days[-1].usage_nano is None:
            days = days[:-1]  # today not covered yet: the month so far ends yesterday
            end = today - dt.timedelta(days=1)
        known = [t for t in days if t.usage_nano is not None]
        usage = sum(t.usage_nano for t in known if t.usage_nano is not None) if known else None
        byok_values = [t.byok_nano for t in known]
        byok = (
            None if not known or any(v is None for v in byok_values) else sum(v for v in byok_values if v is not None)
        )
        result.append(
            Month(
                start, end, usage, byok, len(days), len(days) - len(known), sum(not t.complete for t in known), current
            )
        )
    return result


class Line(NamedTuple):
    """One line of a breakdown: its dimensions' values (ids and display names), spend, the sources."""

    values: tuple[str, ...]
    names: tuple[str, ...]
    usage_nano: int
    byok_nano: int | None
    requests: int | None
    sources: frozenset[str]
    day: dt.date | None = None


def _runs(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


class Names:
    """Display names: a key's latest name, a workspace's name, by id; a model by its id where
    analytics gave its display name (``model_labels``)."""

    def __init__(self, ledger: Ledger) -> None:
        self.keys = {str(h): str(n) for h, n in ledger.query("SELECT key_hash, name FROM keys")}
        self.models = {str(label): str(model) for label, model in ledger.query("SELECT label, model FROM model_labels")}
        self.workspaces = {str(w): str(n) for w, n in ledger.query("SELECT workspace_id, name FROM workspaces") if n}
        shared: dict[str, set[str]] = defaultdict(set)
        for h, n in ledger.query("SELECT key_hash, name FROM key_names"):
            shared[str(n)].add(str(h))
        self.sharing = {name: len(hashes) for name, hashes in shared.items()}

    def key(self, key_id: str, key_hash: str, match: str) -> tuple[str, str]:
        """(identity, display name) of a key as a row names it."""
        if key_hash:
            return key_hash, self.keys.get(key_hash, key_id or key_hash[:12])
        if match == "ambiguous":
            return f"ambiguous:{key_id}", f"{key_id} (ambiguous: {self.sharing.get(key_id, 2)} keys have this name)"
        return f"label:{key_id}", f"{key_id} (no key of this name seen)"

    def workspace(self, value: str) -> str:
        return self.workspaces.get(value, value or "(default)")

    def converter(
        self, wanted: Sequence[str], told: frozenset[str]
    ) -> Callable[[Sequence[Any]], tuple[tuple[str, ...], tuple[str, ...]]]:
        """What turns a row of ``_breakdown_sql`` (the ``_COLUMNS`` of the dimensions ``told``, in
        the order ``wanted`` names them) into (ids, display names)."""
        steps: list[Callable[[Sequence[Any]], tuple[str, str]]] = []
        at = 0
        for dim in wanted:
            if dim not in told:
                steps.append(_not_broken_down)
            elif dim == "key":
                steps.append(self._key_at(at))
                at += 3
            else:
                steps.append(self._value_at(at, dim))
                at += 1
        if len(steps) == 1:
            (only,) = steps

            def one(found: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
                identity, name = only(found)
                return (identity,), (name,)

            return one
        if len(steps) == 2:
            first, second = steps

            def two(found: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
                a, b = first(found), second(found)
                return (a[0], b[0]), (a[1], b[1])

            return two

        def several(found: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
            pairs = [step(found) for step in steps]
            return tuple([pair[0] for pair in pairs]), tuple([pair[1] for pair in pairs])

        return several

    def _key_at(self, at: int) -> Callable[[Sequence[Any]], tuple[str, str]]:
        seen: dict[tuple[Any, ...], tuple[str, str]] = {}

        def key(found: Sequence[Any]) -> tuple[str, str]:
            columns = found[at], found[at + 1], found[at + 2]
            pair = seen.get(columns)
            if pair is None:
                pair = seen[columns] = self.key(str(columns[0]), str(columns[1]), str(columns[2]))
            return pair

        return key

    def _value_at(self, at: int, dim: str) -> Callable[[Sequence[Any]], tuple[str, str]]:
        seen: dict[Any, tuple[str, str]] = {}

        def value(found: Sequence[Any]) -> tuple[str, str]:
            pair = seen.get(found[at])
            if pair is None:
                text = str(found[at])
                if dim == "workspace":
                    pair = (text, self.workspace(text))
                else:
                    text = self.models.get(text, text) if dim == "model" else text
                    pair = (text, text)
                seen[found[at]] = pair
            return pair

        return value


def _not_broken_down(found: Sequence[Any]) -> tuple[str, str]:
    return NOT_BROKEN_DOWN, NOT_BROKEN_DOWN


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _add(held: int | None, value: Any) -> int | None:
    return None if held is None or value is None else held + int(value)


def _breakdown_sql(columns: Sequence[str], by_day: bool) -> str:
    """One series' spend over a run of days by ``columns`` of its facets (and the day): summed per
    facet first, on the integers alone, then per value of the columns. A sum of BYOK or requests is
    NULL when a row's is."""
    inner = "facet_id, day" if by_day else "facet_id"
    outer = [*(f"f.{column}" for column in columns), *(["a.day"] if by_day else [])]
    select = ", ".join(
        [*outer, "SUM(a.u)", "CASE WHEN COUNT(a.b) = COUNT(*) THEN SUM(a.b) END",
         "CASE WHEN COUNT(a.r) = COUNT(*) THEN SUM(a.r) END"]
    )  # fmt: skip
    # The column names come from _COLUMNS; the values are parameters.
    return (
        f"SELECT {select} FROM (SELECT {inner}, SUM(usage_nano) AS u, "  # noqa: S608
        "CASE WHEN COUNT(byok_nano) = COUNT(*) THEN SUM(byok_nano) END AS b, "
        "CASE WHEN COUNT(requests) = COUNT(*) THEN SUM(requests) END AS r FROM spend_facts "
        f"WHERE series_id = ? AND day BETWEEN ? AND ? GROUP BY {inner}) a JOIN facets f ON f.facet_id = a.facet_id"
        + (f" GROUP BY {', '.join(outer)}" if outer else "")
    )


def breakdown(
    ledger: Ledger, start: dt.date, end: dt.date, dimensions: Sequence[str], *, by_day: bool = False
) -> tuple[list[Line], list[dt.date]]:
    """The spend from ``start`` to ``end`` by ``dimensions`` (one line per combination of values, the
    most spent first; per day too with ``by_day``), and the days no source covered (gaps)."""
    wanted = list(dimensions)
    held = coverage(ledger, start, end)
    gaps: list[dt.date] = []
    chosen: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    day = start
    while day <= end:
        pick = choose(held.get(day, ()), wanted)
        if pick is None:
            gaps.append(day)
        else:
            chosen[(pick.source, pick.breakdown)].append(day)
        day += dt.timedelta(days=1)
    names = Names(ledger)
    # Each line as the list of Line's fields, summed into in place (a month by key and model is
    # 20,000 lines of 600,000 rows: one object per line, its key hashed once per row).
    merged: dict[tuple[Any, ...], list[Any]] = {}
    with ledger.read() as tx:
        series = {(str(s), str(b)): int(i) for i, s, b in tx.query("SELECT series_id, source, breakdown FROM series")}
        for (source, kind), days in chosen.items():
            if (source, kind) not in series:
                continue  # covered, and no row ever: $0
            told = BREAKDOWN_DIMENSIONS.get((source, kind), frozenset())
            convert = names.converter(wanted, told)
            sql = _breakdown_sql([column for dim in wanted if dim in told for column in _COLUMNS[dim]], by_day)
            alone = frozenset((source,))
            for first, last in _runs(days):
                for found in tx.query(sql, (series[(source, kind)], first.isoformat(), last.isoformat())):
                    if found[-3] is None:
                        continue  # no row in the run: $0
                    ids, names_of = convert(found)
                    when = as_date(found[-4]) if by_day else None
                    entry = merged.get((ids, when))
                    if entry is None:
                        merged[(ids, when)] = [ids, names_of, int(found[-3]), _int(found[-2]), _int(found[-1]), alone,
                                               when]  # fmt: skip
                        continue
                    entry[2] += int(found[-3])
                    entry[3] = _add(entry[3], found[-2])
                    entry[4] = _add(entry[4], found[-1])
                    if source not in entry[5]:
                        entry[5] = entry[5] | alone
    # By day (when by_day), the most spent first, then by name: stable sorts on one field each.
    order = sorted(merged.values(), key=operator.itemgetter(1))
    order.sort(key=operator.itemgetter(2), reverse=True)
    if by_day:
        order.sort(key=operator.itemgetter(6))
    make = Line._make
    lines = [make(entry) for entry in order]
    return lines, gaps


class KeyRecord(NamedTuple):
    """A key the ledger has seen: its latest name, label, workspace (id and name, '' when not known)."""

    name: str
    label: str
    workspace_id: str
    workspace_name: str


def key_records(ledger: Ledger) -> tuple[dict[str, KeyRecord], dict[str, list[str]]]:
    """Every key seen, by hash; and the hashes each name was seen on (a label-only row's candidates)."""
    workspaces = {str(w): str(n) for w, n in ledger.query("SELECT workspace_id, name FROM workspaces")}
    records = {
        str(h): KeyRecord(str(n), str(label or ""), str(w or ""), workspaces.get(str(w or ""), ""))
        for h, n, label, w in ledger.query("SELECT key_hash, name, label, workspace_id FROM keys")
    }
    named: dict[str, list[str]] = defaultdict(list)
    for h, n in ledger.query("SELECT key_hash, name FROM key_names"):
        named[str(n)].append(str(h))
    return records, dict(named)


def regrouped(lines: Iterable[Line], position: int, group: Any) -> list[Line]:
    """``lines`` with the value at ``position`` replaced by ``group(value)`` (a (value, name) pair),
    lines that then share their values (and day) merged: sums exact, BYOK and requests unknown when
    one part's is, sources joined; the most spent first (per day with ``by_day``), as ``breakdown``."""
    merged: dict[tuple[Any, ...], Line] = {}
    for line in lines:
        value, name = group(line.values[position])
        values = (*line.values[:position], value, *line.values[position + 1 :])
        names = (*line.names[:position], name, *line.names[position + 1 :])
        known = merged.get((*values, line.day))
        if known is None:
            merged[(*values, line.day)] = line._replace(values=values, names=names)
            continue
        merged[(*values, line.day)] = known._replace(
            usage_nano=known.usage_nano + line.usage_nano,
            byok_nano=None if known.byok_nano is None or line.byok_nano is None else known.byok_nano + line.byok_nano,
            requests=None if known.requests is None or line.requests is None else known.requests + line.requests,
            sources=known.sources | line.sources,
        )
    return sorted(merged.values(), key=lambda line: (line.day or dt.date.min, -line.usage_nano, line.names))
