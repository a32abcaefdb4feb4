"""Spend by who spent it, from the analytics API: the end user (what requests send in their ``user``
field), the organization's member, or the app; ``spend --by user|member|app`` (30 days and the last
7) and ``report --by user|member|app`` (a period).

The dimension is the one ``GET /analytics/meta`` names for it (``_analytics.who_dimension``), never
a name taken on trust. Where the API gives no such dimension (meta lacks it, analytics is refused,
or the API document in use has no analytics), ``Unavailable`` says so: the command exits 3, never
printing an empty table that would read as "nobody spent anything". Labels are what OpenRouter
answers (an end user's is what the requests sent: untrusted text, shown as any name is).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .._activity import Spend
from .._exceptions import (
    AuthenticationError,
    OpenRouterCreditsError,
    OperationUnavailable,
    PermissionDeniedError,
    UnexpectedStatusError,
)
from .._money import exact_sum

if TYPE_CHECKING:
    import argparse

    from .._analytics import AnalyticsResult
    from .._client import CreditsClient

__all__ = ["WHO", "Unavailable", "WhoSpent", "who_json", "who_report", "who_spent", "who_spent_or_status"]

#: What each breakdown is, in words; and what its unset bucket is shown as.
WHO = {
    "user": ("end-user", "end user (what requests send in their user field)", "(no user sent)"),
    "member": ("member", "member of the organization", "(no member)"),
    "app": ("app", "app", "(no app)"),
}
#: The metrics asked for: the first cost metric meta lists (as the ledger's backfill picks it), and
#: requests when it lists them.
COST_METRICS = ("total_usage", "usage", "total_cost", "cost")
REQUEST_METRICS = ("request_count", "requests")
#: What the rows OpenRouter did not list (an answer cut at its limit) are shown as.
NOT_LISTED = "(not listed)"


class Unavailable(Exception):
    """The analytics API gives no breakdown by this: the sentence says why (exit status 3)."""


class WhoSpent(NamedTuple):
    """The spend of each one (the most spent first), whether requests are known, and whether the
    answer was cut (the rest then one ``(not listed)`` line: the total stays exact)."""

    spends: list[Spend]
    requests_known: bool
    truncated: bool


def _refusal(error: OpenRouterCreditsError) -> str | None:
    if isinstance(error, OperationUnavailable):
        return error.reason
    if isinstance(error, AuthenticationError | PermissionDeniedError) or (
        isinstance(error, UnexpectedStatusError) and error.status_code == 404
    ):
        said = f": {error.message}" if error.message else ""
        return f"the analytics API refused this key (HTTP {error.status_code}{said})"
    return None


def _unavailable(who: str, command: str, why: str) -> Unavailable:
    return Unavailable(
        f"{command} --by {who} needs the analytics API's {WHO[who][1]} dimension, and {why}: OpenRouter "
        f"cannot tell spend per {WHO[who][0]} here."
    )


def who_spent_or_status(
    client: CreditsClient,
    args: argparse.Namespace,
    who: str,
    start: dt.date,
    end: dt.date,
    recent: dt.date | None,
    *,
    command: str,
) -> WhoSpent | int:
    """``who_spent()``, or, when it fails, the command's exit status after one line on stderr saying
    why (3 when the API gives no such breakdown; else the error's own, its words the command's)."""
    import sys

    from ._common import EXIT_AUTH, exit_code, report

    try:
        return who_spent(client, who, start, end, recent, command=command)
    except Unavailable as unavailable:
        print(f"error: {unavailable}", file=sys.stderr)
        return EXIT_AUTH
    except OpenRouterCreditsError as error:
        report(error, args, sys.stderr)
        return exit_code(error)


def who_spent(
    client: CreditsClient, who: str, start: dt.date, end: dt.date, recent: dt.date | None, *, command: str
) -> WhoSpent:
    """The spend per ``who`` from ``start`` to ``end`` (excluded), and from ``recent`` to ``end`` beside
    it (None: not asked). Raises ``Unavailable`` when the API gives no such breakdown; another failure
    (network, 5xx, 429) as the client raises it."""
    from .._analytics import who_dimension

    try:
        meta = client.analytics_meta()
    except OpenRouterCreditsError as error:
        why = _refusal(error)
        if why is None:
            raise
        raise _unavailable(who, command, why) from None
    dimension = who_dimension(meta, who)
    if dimension is None:
        listed = ", ".join(meta.dimension_names) or "none"
        raise _unavailable(who, command, f"GET /analytics/meta lists none (its dimensions: {listed})")
    cost = next((name for name in COST_METRICS if name in meta.metric_names), None)
    if cost is None:
        raise _unavailable(
            who, command, f"GET /analytics/meta lists none of the cost metrics {', '.join(COST_METRICS)}"
        )
    requests = next((name for name in REQUEST_METRICS if name in meta.metric_names), None)
    metrics = [cost] if requests is None else [cost, requests]

    def ask(first: dt.date, dimensions: Sequence[str]) -> AnalyticsResult:
        try:
            return client.query_analytics(
                metrics=metrics, dimensions=dimensions, start=first, end=end, granularity=None
            )
        except OpenRouterCreditsError as error:
            why = _refusal(error)
            if why is None:
                raise
            raise _unavailable(who, command, why) from None

    unset = WHO[who][2]
    whole = ask(start, [dimension])
    week = ask(recent, [dimension]) if recent is not None else None
    usage: dict[str, list[float]] = {}
    usage_7d: dict[str, list[float]] = {}
    counts: dict[str, list[int | None]] = {}
    for result, into in ((whole, usage), (week, usage_7d)):
        for row in result or ():
            label = row.labels.get(dimension) or unset
            into.setdefault(label, []).append(_amount(row.metrics.get(cost), cost))
            if result is whole:
                count = None if requests is None else row.metrics.get(requests)
                counts.setdefault(label, []).append(None if count is None else int(count))
    truncated = whole.truncated or (week is not None and week.truncated)
    if truncated:  # what the answers left out, as one line: the totals stay exact
        for first, into in ((start, usage), (recent, usage_7d)):
            if first is not None:
                total = _amount(ask(first, []).total(cost), cost)
                into[NOT_LISTED] = [total - exact_sum(v for values in into.values() for v in values)]
        counts[NOT_LISTED] = [None]
    known = requests is not None and all(c is not None for found in counts.values() for c in found)
    spends = [
        Spend(
            name,
            exact_sum(usage.get(name, ())),
            sum(c or 0 for c in counts.get(name, ())) if known else 0,
            0,
            exact_sum(usage_7d.get(name, ())),
            0,
            0,
        )
        for name in {**usage, **usage_7d}
    ]
    spends.sort(key=lambda spend: (-spend.usage, spend.name))
    return WhoSpent(spends, known, truncated)


class UnusableAnswer(OpenRouterCreditsError):
    """An analytics answer without the amount asked for: nothing of it is shown (exit status 5)."""

    kind = "invalid_response"


def _amount(value: object, metric: str) -> float:
    if value is None:
        raise UnusableAnswer(f"The analytics answer has no {metric} for a row: its spend cannot be told.")
    return float(value)  # type: ignore[arg-type]


def who_json(found: WhoSpent, who: str, *, recent: bool) -> list[dict[str, Any]]:
    """``--json``: each one (the most spent first) with ``usage``, ``usage_7d`` (with ``recent``),
    ``requests`` (null when the API does not count them) and its ``share`` (null when nothing was spent)."""
    total = exact_sum(spend.usage for spend in found.spends)
    rows = []
    for spend in found.spends:
        row: dict[str, Any] = {who: spend.name, "usage": spend.usage}
        if recent:
            row["usage_7d"] = spend.usage_7d
        row["requests"] = spend.requests if found.requests_known else None
        row["share"] = None if total <= 0 else spend.usage / total
        rows.append(row)
    return rows


def who_report(found: WhoSpent, who: str, start: dt.date, end: dt.date, output: str, today: dt.date) -> str:
    """``report --by user|member|app``: the period's spend per one as a table (with each one's share),
    JSON or CSV, the most spent first; then the total, the sum of the lines (not in CSV: the column sums)."""
    import csv
    import io
    import json

    from .._format import money

    total = exact_sum(spend.usage for spend in found.spends)
    if output == "json":
        rows = who_json(found, who, recent=False)
        return (
            json.dumps({"from": start.isoformat(), "to": end.isoformat(), "by": [who], "rows": rows, "total": total})
            + "\n"
        )
    if output == "csv":
        from ..ledger._nano import dollars_text, to_nano

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([who, "usage", "requests"])
        for spend in found.spends:
            requests = spend.requests if found.requests_known else ""
            writer.writerow([spend.name, dollars_text(to_nano(spend.usage)), requests])
        return out.getvalue()
    from .._text import shown

    cells = [(who.capitalize(), "Spend", "Share")]
    for spend in found.spends:
        share = "-" if total <= 0 else f"{spend.usage / total:.1%}"
        cells.append((shown(spend.name), money(spend.usage), share))
    widths = [max(len(row[i]) for row in cells) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}" for a, b, c in cells]
    lines.append(f"Total {money(total)} from {start.isoformat()} to {end.isoformat()}, from the analytics API")
    if end >= today:
        lines.append("Today is counted so far.")
    return "\n".join(lines) + "\n"
