"""Writing what the sources said into the ledger: one function per source, each inside the caller's
write transaction, each idempotent (upserts on natural keys; a source's day replaced whole), so
that writing the same answer twice, or two processes writing at once, never counts a dollar twice.

- ``record_credits``: a ``/credits`` snapshot (the first of each hour is kept).
- ``record_keys``: a ``/keys`` listing: the keys and their names, a snapshot of each (the first of
  each hour), each key's mark for the day (its lifetime usage at 00:00 UTC: ``usage - usage_daily``),
  and from the marks the exact spend of each key on the day before (``key-snapshots``, complete)
  and so far today (not complete).
- ``record_days``: a source's rows for whole days (``activity``, ``analytics``): each day's rows
  replaced by the new answer's, unless the day is complete in the ledger and the answer's is not.
  The rows are stored as integers: the (source, breakdown) and each row's strings are looked up in
  ``series`` and ``facets`` (added when new; their ids remembered on the connection), so that a
  backfill of millions of rows writes each name and key hash once.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ._db import Transaction
from ._nano import to_nano

__all__ = ["Day", "Row", "iso", "record_credits", "record_days", "record_keys", "record_workspaces"]

_INSERT_FACTS = (
    "INSERT INTO spend_facts (series_id, day, facet_id, usage_nano, byok_nano, requests, tokens) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def iso(moment: dt.datetime) -> str:
    """An aware time as the ledger keeps it: RFC 3339 in UTC, to the second."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hour(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")


class Row(NamedTuple):
    """One row of spend as a source gives it (amounts in nano-dollars; None where it does not say)."""

    key_id: str
    model: str
    provider: str
    endpoint: str
    workspace: str
    usage_nano: int
    byok_nano: int | None
    requests: int | None
    tokens: int | None
    key_hash: str = ""
    key_match: str = ""


class Day(NamedTuple):
    """A source's answer for one day: its rows, and whether the day was complete in it."""

    day: dt.date
    rows: Sequence[Row]
    complete: bool


def _sum_or_none(values: Iterable[int | None]) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def series_id(tx: Transaction, source: str, breakdown: str) -> int:
    """The id of (source, breakdown) in ``series`` (added when new)."""
    known: dict[tuple[str, str], int] = tx.memo.setdefault("series", {})
    found = known.get((source, breakdown))
    if found is None:
        tx.execute("INSERT INTO series (source, breakdown) VALUES (?, ?) ON CONFLICT DO NOTHING", (source, breakdown))
        ((found,),) = tx.query("SELECT series_id FROM series WHERE source = ? AND breakdown = ?", (source, breakdown))
        known[(source, breakdown)] = found = int(found)
    return found


Facet = tuple[str, str, str, str, str, str, str]


class _Interned(NamedTuple):
    """A table of strings stored once, each row's id an integer the other tables hold."""

    insert: str
    select_after: str  # the rows whose id is above ``?``, id first, in order


_INTERNED = {
    "facets": _Interned(
        "INSERT INTO facets (key_id, model, provider, endpoint, workspace, key_hash, key_match) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        "SELECT facet_id, key_id, model, provider, endpoint, workspace, key_hash, key_match FROM facets "
        "WHERE facet_id > ? ORDER BY facet_id",
    ),
    "key_refs": _Interned(
        "INSERT INTO key_refs (key_hash) VALUES (?) ON CONFLICT DO NOTHING",
        "SELECT key_ref, key_hash FROM key_refs WHERE key_ref > ? ORDER BY key_ref",
    ),
}


def _interned(tx: Transaction, table: str, wanted: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    """The ids of ``wanted`` (tuples of a row's strings) in ``table``, the ones not in it yet added.
    Ids are remembered on the connection: a row never changes its id, and every write holds the
    writer lock, so ids above the highest one known are the only ones another process can have
    added since."""
    known: dict[tuple[str, ...], int] = tx.memo.setdefault(table, {})
    missing = set(wanted) - known.keys()
    if missing:
        _load(tx, table, known)
        new = sorted(row for row in missing if row not in known)
        if new:
            tx.executemany(_INTERNED[table].insert, new)
            _load(tx, table, known)
    return known


def _load(tx: Transaction, table: str, known: dict[tuple[str, ...], int]) -> None:
    highest = tx.memo.get(f"{table} above", 0)
    for row in tx.query(_INTERNED[table].select_after, (highest,)):
        known[tuple(str(value) for value in row[1:])] = highest = int(row[0])
    tx.memo[f"{table} above"] = highest


def facet_ids(tx: Transaction, wanted: Iterable[Facet]) -> Mapping[Facet, int]:
    """The ids of facets (key_id, model, provider, endpoint, workspace, key_hash, key_match)."""
    return _interned(tx, "facets", wanted)  # type: ignore[return-value]


def key_refs(tx: Transaction, hashes: Iterable[str]) -> dict[str, int]:
    """The ids of key hashes (``key_refs``), for the tables that hold a row per key and hour or day."""
    wanted = [(key_hash,) for key_hash in hashes]
    known = _interned(tx, "key_refs", wanted)
    return {key_hash: known[(key_hash,)] for (key_hash,) in wanted}


#: A Row's facet: (key_id, model, provider, endpoint, workspace, key_hash, key_match).
_FACET_OF: Callable[[Row], Facet] = operator.itemgetter(0, 1, 2, 3, 4, 9, 10)


def _facts(
    rows: Sequence[Row], facets: Sequence[Facet], series: int, day: str, ids: Mapping[Facet, int]
) -> list[tuple[Any, ...]]:
    """A day's rows as ``spend_facts`` rows, in key order; rows of one facet added up (a source may
    split one key's day, as /activity does per endpoint variant)."""
    facts = [(series, day, ids[f], r[5], r[6], r[7], r[8]) for f, r in zip(facets, rows, strict=True)]
    facts.sort(key=_BY_FACET)
    if len({fact[2] for fact in facts}) == len(facts):
        return facts
    merged: list[tuple[Any, ...]] = []
    for fact in facts:
        if merged and merged[-1][2] == fact[2]:
            seen = merged[-1]
            merged[-1] = (
                series, day, fact[2], seen[3] + fact[3], _sum_or_none((seen[4], fact[4])),
                _sum_or_none((seen[5], fact[5])), _sum_or_none((seen[6], fact[6])),
            )  # fmt: skip
        else:
            merged.append(fact)
    return merged


_BY_FACET = operator.itemgetter(2)


def record_days(tx: Transaction, source: str, breakdown: str, days: Iterable[Day], fetched_at: dt.datetime) -> int:
    """Replace each day's rows of (source, breakdown) by ``days``' rows; the rows written. A day the
    ledger holds complete is kept when the answer's is not."""
    fetched = iso(fetched_at)
    wanted = list(days)
    if not wanted:
        return 0
    held = {
        str(day)[:10]: bool(complete)
        for day, complete in tx.query(
            "SELECT day, complete FROM coverage WHERE source = ? AND breakdown = ? AND day BETWEEN ? AND ?",
            (source, breakdown, min(d.day for d in wanted).isoformat(), max(d.day for d in wanted).isoformat()),
        )
    }
    answers = [answer for answer in wanted if not (held.get(answer.day.isoformat()) and not answer.complete)]
    if not answers:
        return 0
    series = series_id(tx, source, breakdown)
    facets = [list(map(_FACET_OF, answer.rows)) for answer in answers]
    ids = facet_ids(tx, set().union(*facets))
    # In three statements whatever the number of days (a year's backfill answer is 365 of them): the
    # rows of the days held go (a day not covered has none), the new rows and coverage come.
    held_days = [(series, answer.day.isoformat()) for answer in answers if answer.day.isoformat() in held]
    if held_days:
        tx.executemany("DELETE FROM spend_facts WHERE series_id = ? AND day = ?", held_days)
    facts: list[tuple[Any, ...]] = []
    covered = []
    for answer, of_day in zip(answers, facets, strict=True):
        day = answer.day.isoformat()
        of = _facts(answer.rows, of_day, series, day, ids)
        facts += of
        covered.append(
            (source, breakdown, day, int(answer.complete), len(of), sum(f[3] for f in of),
             _sum_or_none(f[4] for f in of), _sum_or_none(f[5] for f in of), fetched)
        )  # fmt: skip
    tx.executemany(_INSERT_FACTS, facts)
    tx.executemany(
        "INSERT INTO coverage (source, breakdown, day, complete, row_count, usage_nano, byok_nano, requests, "
        "fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, breakdown, day) DO UPDATE SET "
        "complete = excluded.complete, row_count = excluded.row_count, usage_nano = excluded.usage_nano, "
        "byok_nano = excluded.byok_nano, requests = excluded.requests, fetched_at = excluded.fetched_at",
        covered,
    )
    return len(facts)


def record_credits(tx: Transaction, total_credits: float, total_usage: float, taken_at: dt.datetime) -> None:
    """A ``/credits`` answer; the first of each hour is kept."""
    tx.execute(
        "INSERT INTO credits_snapshots (hour, taken_at, total_credits_nano, total_usage_nano) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (hour) DO NOTHING",
        (_hour(taken_at), iso(taken_at), to_nano(total_credits), to_nano(total_usage)),
    )


def record_workspaces(tx: Transaction, workspaces: Mapping[str, str], seen_at: dt.datetime) -> None:
    """Workspaces by id, with their names as last seen."""
    when = iso(seen_at)
    tx.executemany(
        "INSERT INTO workspaces (workspace_id, name, first_seen, last_seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (workspace_id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen",
        [(wid, name, when, when) for wid, name in workspaces.items()],
    )


class KeyFigures(NamedTuple):
    """What a listing says of one key (the fields the ledger keeps; never the key itself)."""

    key_hash: str
    name: str
    label: str
    workspace_id: str
    usage: float
    usage_daily: float
    byok: float | None
    byok_daily: float | None
    disabled: bool
    created: dt.date | None
    workspace_name: str = ""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def key_figures(key: Any) -> KeyFigures:
    """The figures of an ``ApiKey`` (or anything with its fields) that the ledger keeps."""
    created = None
    text = getattr(key, "created_at", None)
    if isinstance(text, str) and len(text) >= 10:
        try:
            created = dt.date.fromisoformat(text[:10])
        except ValueError:
            created = None
    workspace = getattr(key, "workspace_id", None)
    return KeyFigures(
        str(key.hash_),
        str(key.name),
        str(getattr(key, "label", "") or ""),
        "" if workspace is None or not isinstance(workspace, str) else workspace,
        float(key.usage),
        float(key.usage_daily),
        _number(getattr(key, "byok_usage", None)),
        _number(getattr(key, "byok_usage_daily", None)),
        bool(key.disabled),
        created,
        str(getattr(key, "workspace_name", "") or ""),
    )


def record_keys(tx: Transaction, keys: Sequence[KeyFigures], taken_at: dt.datetime) -> int:
    """A whole ``/keys`` listing taken at ``taken_at`` (and its keys' workspaces' names); the key-day
    rows of spend written."""
    when, hour = iso(taken_at), _hour(taken_at)
    named = {k.workspace_id: k.workspace_name for k in keys if k.workspace_id and k.workspace_name}
    if named:
        record_workspaces(tx, named, taken_at)
    today = taken_at.astimezone(dt.UTC).date()
    yesterday = today - dt.timedelta(days=1)
    tx.executemany(
        "INSERT INTO keys (key_hash, name, label, workspace_id, created_day, disabled, first_seen, last_seen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_hash) DO UPDATE SET name = excluded.name, "
        "label = excluded.label, workspace_id = excluded.workspace_id, disabled = excluded.disabled, "
        "last_seen = excluded.last_seen",
        [
            (k.key_hash, k.name, k.label, k.workspace_id, None if k.created is None else k.created.isoformat(),
             int(k.disabled), when, when)
            for k in keys
        ],
    )  # fmt: skip
    tx.executemany(
        "INSERT INTO key_names (key_hash, name, first_seen, last_seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (key_hash, name) DO UPDATE SET last_seen = excluded.last_seen",
        [(k.key_hash, k.name, when, when) for k in keys],
    )
    refs = key_refs(tx, [k.key_hash for k in keys])
    figures = [
        (k, to_nano(k.usage), to_nano(k.usage_daily), None if k.byok is None else to_nano(k.byok),
         None if k.byok_daily is None else to_nano(k.byok_daily))
        for k in keys
    ]  # fmt: skip
    # A key's snapshot: the first of each hour whose figures differ from its last one (a key that
    # spends nothing adds no row, however often it is listed).
    last = {
        int(ref): (str(held_hour), tuple(values))
        for ref, held_hour, *values in tx.query(
            "SELECT s.key_ref, s.hour, s.usage_nano, s.usage_daily_nano, s.byok_nano, s.byok_daily_nano, s.disabled "
            "FROM key_refs r JOIN key_snapshots s ON s.key_ref = r.key_ref AND s.hour = "
            "(SELECT MAX(m.hour) FROM key_snapshots m WHERE m.key_ref = r.key_ref)"
        )
    }
    snapshots = []
    for k, u, ud, b, bd in figures:
        ref, values = refs[k.key_hash], (u, ud, b, bd, int(k.disabled))
        held = last.get(ref)
        if held is None or (held[0] < hour and held[1] != values):
            snapshots.append((ref, hour, when, *values))
    tx.executemany(
        "INSERT INTO key_snapshots (key_ref, hour, taken_at, usage_nano, usage_daily_nano, byok_nano, "
        "byok_daily_nano, disabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_ref, hour) DO NOTHING",
        snapshots,
    )
    # The day's mark: the lifetime usage at 00:00 UTC. The first snapshot of the day sets it.
    tx.executemany(
        "INSERT INTO key_marks (key_ref, day, usage_nano, byok_nano, taken_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (key_ref, day) DO UPDATE SET usage_nano = excluded.usage_nano, byok_nano = excluded.byok_nano, "
        "taken_at = excluded.taken_at WHERE excluded.taken_at < key_marks.taken_at",
        [
            (refs[k.key_hash], today.isoformat(), u - ud, None if b is None or bd is None else b - bd, when)
            for k, u, ud, b, bd in figures
        ],
    )
    marks: dict[tuple[int, str], tuple[int, int | None]] = {
        (int(r), str(d)[:10]): (int(u), None if b is None else int(b))
        for r, d, u, b in tx.query(
            "SELECT key_ref, day, usage_nano, byok_nano FROM key_marks WHERE day IN (?, ?)",
            (yesterday.isoformat(), today.isoformat()),
        )
    }
    before: list[Row] = []
    for k, _, _, _, _ in figures:
        end = marks.get((refs[k.key_hash], today.isoformat()))
        start = marks.get((refs[k.key_hash], yesterday.isoformat()))
        if start is None and k.created == yesterday:
            start = (0, 0)  # created yesterday: nothing before it
        if end is None or start is None:
            continue
        byok = None if end[1] is None or start[1] is None else end[1] - start[1]
        before.append(
            Row(k.key_hash, "", "", "", k.workspace_id, end[0] - start[0], byok, None, None, k.key_hash, "hash")
        )
    so_far = [
        Row(k.key_hash, "", "", "", k.workspace_id, ud, bd, None, None, k.key_hash, "hash")
        for k, _, ud, _, bd in figures
    ]
    written = 0
    listed_yesterday = tx.query(
        "SELECT 1 FROM coverage WHERE source = 'key-snapshots' AND breakdown = 'key' AND day = ?",
        (yesterday.isoformat(),),
    )
    if listed_yesterday:  # a listing on each of the two days: yesterday is complete
        written += record_days(tx, "key-snapshots", "key", [Day(yesterday, before, True)], taken_at)
    latest = tx.query(
        "SELECT fetched_at FROM coverage WHERE source = 'key-snapshots' AND breakdown = 'key' AND day = ?",
        (today.isoformat(),),
    )
    if not latest or str(latest[0][0]).replace(" ", "T")[:19] <= when[:19]:  # never an older listing over a newer
        written += record_days(tx, "key-snapshots", "key", [Day(today, so_far, False)], taken_at)
    return written


def label_resolver(tx: Transaction) -> dict[str, list[str]]:
    """Every name a key has been seen with, and the hashes that had it (for analytics' key labels)."""
    names: dict[str, list[str]] = defaultdict(list)
    for key_hash, name in tx.query("SELECT key_hash, name FROM key_names"):
        names[str(name)].append(str(key_hash))
    return names
