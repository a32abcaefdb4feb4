"""The sources side by side, day by day: /activity's total, the sum of the keys' snapshot deltas,
analytics' total and the change of /credits' total used, with the days that disagree by more than
1 % or $0.01 and the likely reason. A figure a source does not have for a day is None (a gap),
never $0."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from ._ledger import Ledger, as_date
from ._nano import NANO
from ._reports import coverage

__all__ = ["TOLERANCE_FRACTION", "TOLERANCE_NANO", "Reconciled", "reconcile"]

TOLERANCE_FRACTION = 0.01
TOLERANCE_NANO = NANO // 100  # $0.01


class Reconciled(NamedTuple):
    day: dt.date
    activity: int | None
    key_snapshots: int | None
    analytics: int | None
    credits: int | None
    byok: int | None
    #: Why the figures differ (empty when they agree within the tolerance, or there is one figure).
    reason: str

    @property
    def differs(self) -> bool:
        return bool(self.reason)


def _apart(a: int, b: int) -> bool:
    return abs(a - b) > max(TOLERANCE_NANO, TOLERANCE_FRACTION * max(abs(a), abs(b)))


def _credits_changes(ledger: Ledger, start: dt.date, end: dt.date) -> dict[dt.date, tuple[int, str, str]]:
    """For each day, the change of /credits' total used from the day's first snapshot to the next
    day's, and the two times."""
    first: dict[dt.date, tuple[str, int]] = {}
    for taken_at, used in ledger.query(
        "SELECT taken_at, total_usage_nano FROM credits_snapshots WHERE hour >= ? AND hour < ? ORDER BY hour",
        (start.isoformat(), (end + dt.timedelta(days=2)).isoformat()),
    ):
        stamp = taken_at.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(taken_at, dt.datetime) else str(taken_at)
        day = as_date(stamp)
        first.setdefault(day, (stamp, int(used)))
    changes = {}
    for day, (stamp, used) in first.items():
        following = first.get(day + dt.timedelta(days=1))
        if following is not None:
            changes[day] = (following[1] - used, stamp, following[0])
    return changes


def reconcile(ledger: Ledger, start: dt.date, end: dt.date, today: dt.date) -> list[Reconciled]:
    """Each day from ``start`` to ``end`` with every source's figure and, where they disagree, why."""
    held = coverage(ledger, start, end)
    changes = _credits_changes(ledger, start, end)
    rows = []
    day = start
    while day <= end:
        answers = {c.source: c for c in held.get(day, ()) if c.complete}
        analytics = answers.get("analytics")
        model = [c for c in held.get(day, ()) if c.source == "analytics" and c.breakdown == "model" and c.complete]
        figures = {
            "activity": answers["activity"].usage_nano if "activity" in answers else None,
            "key snapshots": answers["key-snapshots"].usage_nano if "key-snapshots" in answers else None,
            "analytics": model[0].usage_nano if model else (analytics.usage_nano if analytics else None),
            "/credits": changes[day][0] if day in changes else None,
        }
        byok = answers["activity"].byok_nano if "activity" in answers else None
        rows.append(
            Reconciled(
                day, figures["activity"], figures["key snapshots"], figures["analytics"], figures["/credits"], byok,
                _reason(figures, byok, day, today, changes.get(day), held.get(day, ())),
            )
        )  # fmt: skip
        day += dt.timedelta(days=1)
    return rows


def _reason(
    figures: dict[str, int | None],
    byok: int | None,
    day: dt.date,
    today: dt.date,
    change: tuple[int, str, str] | None,
    held: Sequence[object],
) -> str:
    known = {name: value for name, value in figures.items() if value is not None}
    if not known:
        return ""  # a gap: listed as such by the report, not as a disagreement
    reference_name = next(iter(known))
    reference = known[reference_name]
    apart = [name for name, value in known.items() if _apart(value, reference)]
    if not apart:
        return ""
    reasons = []
    if byok and any(abs(abs(known[name] - reference) - byok) <= TOLERANCE_NANO for name in apart):
        reasons.append("BYOK usage counted by one source and not the other")
    if "analytics" in apart and (today - day).days <= 3:
        reasons.append("analytics lag (the last days fill in later)")
    if "/credits" in apart and change is not None and not (change[1][11:13] == "00" and change[2][11:13] == "00"):
        reasons.append(
            f"the /credits snapshots were taken at {change[1][11:16]} and {change[2][11:16]} UTC, not at midnight"
        )
    if "key snapshots" in apart and figures["key snapshots"] is not None and figures["key snapshots"] < reference:
        reasons.append("a gap in snapshots (a key created, deleted or missed between two listings)")
    if not reasons:
        reasons.append("unexplained: compare with OpenRouter's activity page")
    return "; ".join(reasons)
