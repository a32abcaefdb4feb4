"""What the command line prints: the balance as a table, JSON or Prometheus text, and the spend chart.

Pure functions of their arguments; the command decides where the text goes. Unknown values show as
``unknown`` (table), ``null`` (JSON) or an absent series (Prometheus), never as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from . import _config
from ._balance import Balance, DailySpend, exact_sum

__all__ = [
    "Family",
    "balance_json",
    "balance_metrics",
    "balance_table",
    "days",
    "exposition",
    "key_rows",
    "merge_families",
    "money",
    "spend_chart",
    "statement",
]

UNKNOWN = "unknown"
_AVERAGE = "  (7-day average)"


def money(amount: float) -> str:
    """US dollars with two decimals, more when two would show a non-zero amount as 0.00."""
    decimals = 2
    if amount != 0 and abs(amount) < 0.005:
        decimals = -math.floor(math.log10(abs(amount)))
        while float(f"{abs(amount):.{decimals}f}") == 0:
            decimals += 1
    text = f"{abs(amount):,.{decimals}f}"
    return f"-${text}" if amount < 0 else f"${text}"


def days(value: float) -> str:
    """Days with one decimal (``18.6``), ``less than 0.1`` below that."""
    return "less than 0.1" if 0 < value < 0.05 else f"{value:,.1f}"


def _or_unknown(value: float | None, render: Any = money) -> str:
    return UNKNOWN if value is None else str(render(value))


def statement(balance: Balance) -> str | None:
    """One line for a key that is not a management key: what it cannot see, and why."""
    if balance.key is not None and not balance.key.is_management_key:
        return (
            "note: this is not a management key, so it sees only its own limit and usage; the account's "
            f"balance and spend need a management (provisioning) key: {_config.MANAGEMENT_KEYS_URL}"
        )
    return None


def balance_table(balance: Balance) -> str:
    """The default view: what remains, what may be spent, at what pace, and the key's own view."""
    credits = balance.credits
    rows = [
        ("Remaining", _or_unknown(balance.remaining)),
        ("Spendable", _or_unknown(balance.spendable)),
        (
            "Spend per day",
            _or_unknown(balance.spend_per_day) + ("  (7-day average)" if balance.spend_per_day is not None else ""),
        ),
        ("Days left", _days_left(balance)),
        ("Total credits", UNKNOWN if credits is None else money(credits.total_credits)),
        ("Total usage", UNKNOWN if credits is None else money(credits.total_usage)),
    ]
    key = balance.key
    if key is None:
        rows += [("Key limit", UNKNOWN), ("Key usage", UNKNOWN)]
    else:
        left = key.limit_remaining
        limit = "none" if key.limit is None else money(key.limit)
        if key.limit is not None and isinstance(left, int | float):
            limit += f"  ({money(left)} left)"
        usage = (
            f"{money(key.usage)}  (today {money(key.usage_daily)}, this week {money(key.usage_weekly)}, "
            f"this month {money(key.usage_monthly)})"
        )
        rows += [("Key limit", limit), ("Key usage", usage)]
    width = max(len(label) for label, _ in rows) + 2
    amount_width = max(len(text.split("  ")[0]) for _, text in rows)
    lines = []
    for label, text in rows:
        amount, _, rest = text.partition("  ")
        line = f"{label:<{width}}{amount:>{amount_width}}"
        lines.append(f"{line}  {rest}" if rest else line)
    return "\n".join(lines)


def _days_left(balance: Balance) -> str:
    if balance.days_left is not None:
        return days(balance.days_left)
    if balance.remaining is not None and balance.spend_per_day == 0:
        return "no spend"  # nothing spent in 7 days: no end in sight, which is not 0
    return UNKNOWN


def balance_json(balance: Balance, **more: object) -> dict[str, Any]:
    """The view as JSON: the three totals as before, what was added, ``null`` for unknown, and
    ``unknown`` with the reason for each."""
    credits = balance.credits
    key = balance.key
    return {
        "total_credits": None if credits is None else credits.total_credits,
        "total_usage": None if credits is None else credits.total_usage,
        "remaining": balance.remaining,
        "spendable": balance.spendable,
        "spend_per_day": balance.spend_per_day,
        "days_left": balance.days_left,
        "daily_spend": None
        if balance.daily_spend is None
        else [{"date": day.date.isoformat(), "usage": day.usage} for day in balance.daily_spend],
        "key": None
        if key is None
        else {
            "label": key.label,
            "is_management_key": key.is_management_key,
            "is_free_tier": key.is_free_tier,
            "limit": key.limit,
            "limit_remaining": key.limit_remaining if isinstance(key.limit_remaining, int | float) else None,
            "usage": key.usage,
            "usage_daily": key.usage_daily,
            "usage_weekly": key.usage_weekly,
            "usage_monthly": key.usage_monthly,
        },
        "unknown": dict(balance.unknown),
        **more,
    }


def key_rows(rows: Sequence[tuple[str, Balance | None]]) -> str:
    """One row per key (``--config``): remaining, spendable, spend per day, days left, key limit left;
    ``failed`` for a key whose fetch failed (its error is on stderr)."""
    header = ("Key", "Remaining", "Spendable", "Spend/day", "Days left", "Limit left")
    table = [header]
    for name, balance in rows:
        if balance is None:
            table.append((name, "failed", "failed", "failed", "failed", "failed"))
            continue
        key = balance.key
        limit = UNKNOWN if key is None else ("none" if key.limit is None else _or_unknown(_limit_left(key)))
        table.append(
            (
                name,
                _or_unknown(balance.remaining),
                _or_unknown(balance.spendable),
                _or_unknown(balance.spend_per_day),
                _days_left(balance),
                limit,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def _limit_left(key: Any) -> float | None:
    left = key.limit_remaining
    return float(left) if isinstance(left, int | float) else None


# --- Prometheus ---------------------------------------------------------------------------------


class Family(NamedTuple):
    """One metric family of the text exposition format: a name, help, type and its samples."""

    name: str
    help: str
    type: str
    samples: Sequence[tuple[Mapping[str, str], float]]


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() or abs(value) >= 1e15 else str(int(value))


def merge_families(groups: Iterable[Iterable[Family]]) -> list[Family]:
    """Families of the same name from several keys, as one family each (their samples joined)."""
    merged: dict[str, Family] = {}
    for group in groups:
        for family in group:
            known = merged.get(family.name)
            samples = [*known.samples, *family.samples] if known else list(family.samples)
            merged[family.name] = family._replace(samples=samples)
    return list(merged.values())


def exposition(families: Iterable[Family]) -> str:
    """The Prometheus text format (0.0.4): HELP and TYPE lines, then the samples, of each family
    that has any (a family without samples is left out: unknown is absent, never 0)."""
    lines: list[str] = []
    for family in families:
        if not family.samples:
            continue
        lines += [f"# HELP {family.name} {family.help}", f"# TYPE {family.name} {family.type}"]
        for labels, value in family.samples:
            if labels:
                inner = ",".join(f'{name}="{_label_value(text)}"' for name, text in labels.items())
                lines.append(f"{family.name}{{{inner}}} {_number(value)}")
            else:
                lines.append(f"{family.name} {_number(value)}")
    return "\n".join(lines) + "\n"


PREFIX = "openrouter_credits"
METRICS = {
    "purchased": ("purchased_dollars", "Credits bought in total by the account, in US dollars."),
    "used": ("used_dollars", "Credits used in total by the account, in US dollars."),
    "remaining": ("remaining_dollars", "The account's credits remaining (bought minus used), in US dollars."),
    "spendable": (
        "spendable_dollars",
        "What this key may still spend: the smaller of the account's remaining credits and the key's limit "
        "remaining, in US dollars.",
    ),
    "spend_per_day": (
        "spend_per_day_dollars",
        "Average spend per day over the last 7 completed UTC days, in US dollars.",
    ),
    # Prometheus wants base units: the days left, in seconds (promtool refuses a _days_left name).
    "time_left": (
        "time_left_seconds",
        "Time until the account's credits run out at the 7-day average spend, in seconds (days left x 86400).",
    ),
    "key_limit_remaining": (
        "key_limit_remaining_dollars",
        "What the key's own spending limit still allows, in US dollars.",
    ),
    "key_usage": ("key_usage_dollars", "The key's own usage in US dollars, by period: day, week, month (UTC) or all."),
    "up": ("up", "1 when the last fetch succeeded, 0 when it failed."),
    "last_success": ("last_success_timestamp_seconds", "Unix time of the last successful fetch."),
}


def _family(metric: str, samples: Sequence[tuple[Mapping[str, str], float]], kind: str = "gauge") -> Family:
    suffix, help_text = METRICS[metric]
    return Family(f"{PREFIX}_{suffix}", help_text, kind, samples)


def balance_metrics(
    balance: Balance | None, labels: Mapping[str, str], *, up: bool, last_success: float | None
) -> list[Family]:
    """The gauges of one key's balance (each sample with ``labels``); a value that is unknown, or a
    fetch that failed (``balance`` None), leaves its series out."""

    def one(value: float | None) -> list[tuple[Mapping[str, str], float]]:
        return [] if value is None else [(labels, value)]

    credits = None if balance is None else balance.credits
    key = None if balance is None else balance.key
    key_usage: list[tuple[Mapping[str, str], float]] = []
    limit_left = None
    if key is not None:
        periods = {"day": key.usage_daily, "week": key.usage_weekly, "month": key.usage_monthly, "all": key.usage}
        key_usage = [({**labels, "period": period}, value) for period, value in periods.items()]
        if key.limit is not None and isinstance(key.limit_remaining, int | float):
            limit_left = float(key.limit_remaining)
    return [
        _family("purchased", one(None if credits is None else credits.total_credits)),
        _family("used", one(None if credits is None else credits.total_usage)),
        _family("remaining", one(None if balance is None else balance.remaining)),
        _family("spendable", one(None if balance is None else balance.spendable)),
        _family("spend_per_day", one(None if balance is None else balance.spend_per_day)),
        _family("time_left", one(None if balance is None or balance.days_left is None else balance.days_left * 86400)),
        _family("key_limit_remaining", one(limit_left)),
        _family("key_usage", key_usage),
        _family("up", [(labels, 1.0 if up else 0.0)]),
        _family("last_success", one(last_success)),
    ]


# --- the spend chart ----------------------------------------------------------------------------

BAR_WIDTH = 40
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def _bar(value: float, largest: float, unicode: bool) -> str:
    if largest <= 0 or value <= 0:
        return ""
    cells = value / largest * BAR_WIDTH
    if not unicode:
        return "#" * max(1, round(cells))
    whole, eighths = divmod(max(1, round(cells * 8)), 8)
    return "█" * whole + (_EIGHTHS[eighths] if eighths else "")


def spend_chart(daily: Sequence[DailySpend], *, unicode: bool) -> str:
    """One row per day, a bar scaled to the largest day and the amount beside it; then the total and
    the daily average. ``unicode``: eighth-block bars, else ``#``."""
    largest = max((day.usage for day in daily), default=0.0)
    amounts = [money(day.usage) for day in daily]
    amount_width = max((len(a) for a in amounts), default=0)
    lines = []
    for day, amount in zip(daily, amounts, strict=True):
        bar = _bar(day.usage, largest, unicode)
        lines.append(f"{day.date.isoformat()} {amount:>{amount_width}} {bar}".rstrip())
    total = exact_sum(day.usage for day in daily)
    average = total / len(daily) if daily else 0.0
    lines.append(f"Total {money(total)} over {len(daily)} days, {money(average)} a day on average")
    return "\n".join(lines)
