"""What the command line prints: the balance as a table, JSON or Prometheus text, and the spend chart.

Pure functions of their arguments; the command decides where the text goes. Unknown values show as
``unknown`` (table), ``null`` (JSON) or an absent series (Prometheus), never as 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import _defaults
from .._activity import ACTIVITY_DAYS, DailySpend, Spend
from .._balance import Balance
from .._format import day_range, days, estimate_days, estimate_dollars, money
from .._logging import without_secrets
from .._money import exact_sum
from .._text import shown

if TYPE_CHECKING:
    from .._budgets import BudgetLayer
    from .._key_info import KeyInfo

__all__ = [
    "balance_json",
    "balance_table",
    "duration",
    "forecast_json",
    "forecast_note",
    "key_rows",
    "rfc3339",
    "share_chart",
    "share_json",
    "spend_chart",
    "statement",
]

UNKNOWN = "unknown"


def _or_unknown(value: float | None, render: Any = money) -> str:
    return UNKNOWN if value is None else str(render(value))


def statement(balance: Balance) -> str | None:
    """One line for a key that is not a management key: what it cannot see, and why."""
    if balance.key is not None and not balance.key.is_management_key:
        return (
            "note: this is not a management key, so it sees only its own limit and usage; the account's "
            f"balance and spend need a management (provisioning) key: {_defaults.MANAGEMENT_KEYS_URL}"
        )
    return None


def balance_table(balance: Balance) -> str:
    """The default view: what remains, what may be spent, at what pace, and the key's own view where it
    says something (an ordinary key, or a management key with a limit)."""
    credits = balance.credits
    forecast = balance.forecast
    rows = [
        ("Remaining", _or_unknown(balance.remaining) + _debt(balance)),
        ("Spendable", _spendable(balance)),
        ("Spend per day", _or_unknown(balance.spend_per_day) + ("" if forecast is None else f"  ({forecast.method})")),
        ("Days left", _days_left(balance, ranged=True)),
        ("This month", _month_end(balance)),
        ("Total credits", UNKNOWN if credits is None else money(credits.total_credits)),
        ("Total usage", UNKNOWN if credits is None else money(credits.total_usage)),
    ]
    key = balance.key
    if key is None:
        rows += [("Key limit", UNKNOWN), ("Key usage", UNKNOWN)]
    elif key.is_management_key and key.limit is None:
        pass  # a management key's own usage is 0 (it calls no models): the account's spend is above
    else:
        usage = (
            f"{money(key.usage)}  (today {money(key.usage_daily)}, this week {money(key.usage_weekly)}, "
            f"this month {money(key.usage_monthly)})"
        )
        rows += [("Key limit", _key_limit(balance, key)), ("Key usage", usage)]
        layer = key.effective_layer
        if layer is not None and not layer.is_key_limit:  # the key's own limit has its row above
            rows.append(("Key budget", _budget(balance, layer)))
        if key.byok_usage or key.include_byok_in_limit:
            counted = "counted in the key's limit" if key.include_byok_in_limit else "not counted in the key's limit"
            rows.append(("BYOK usage", f"{money(key.byok_usage)}  ({counted})"))
    width = max(len(label) for label, _ in rows) + 2
    amount_width = max(len(text.split("  ")[0]) for _, text in rows)
    lines = []
    for label, text in rows:
        amount, _, rest = text.partition("  ")
        line = f"{label:<{width}}{amount:>{amount_width}}"
        lines.append(f"{line}  {rest}" if rest else line)
    return "\n".join(lines)


def _key_limit(balance: Balance, key: KeyInfo) -> str:
    """``$30.00  ($12.00 left; resets daily, in 5 h 12 m)``; ``none`` for a key without a limit."""
    if key.limit is None:
        return "none"
    notes = []
    left = key.limit_left
    if left is not None:
        notes.append(f"{money(left)} left")
    if key.limit_reset is not None:
        reset = f"resets {key.limit_reset}"
        at = key.resets_at(balance.at)
        if at is not None:
            reset += f", in {duration(at - balance.at)}"
        notes.append(reset)
    return f"{money(key.limit)}  ({'; '.join(notes)})" if notes else money(key.limit)


def _budget(balance: Balance, layer: BudgetLayer) -> str:
    """The budget layer that blocks first: ``$5.00  (api_key budget, $3.00 left; resets daily, in 5 h 12 m)``."""
    notes = [f"{layer.scope} budget, {money(layer.remaining_usd)} left"]
    if layer.reset_interval is not None or layer.resets_at is not None:
        reset = "resets" if layer.reset_interval is None else f"resets {layer.reset_interval}"
        at = layer.next_reset(balance.at)
        if at is not None:
            reset += f", in {duration(at - balance.at)}"
        notes.append(reset)
    return f"{money(layer.limit_usd)}  ({'; '.join(notes)})"


def duration(span: dt.timedelta) -> str:
    """A time to come in whole minutes, rounded down: ``2 d 3 h``, ``5 h 12 m``, ``7 m``, ``less than 1 m``."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} m"
    return f"{minutes} m" if minutes else "less than 1 m"


def rfc3339(moment: dt.datetime | None) -> str | None:
    """An aware UTC time as ``2026-11-26T00:00:00Z`` (None stays None)."""
    return None if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _debt(balance: Balance) -> str:
    return "  (in debt)" if balance.remaining is not None and balance.remaining < 0 else ""


def _spendable(balance: Balance) -> str:
    if balance.spendable is None and balance.spendable_at_most is not None:
        notes = [f"at most {money(balance.spendable_at_most)}"]
        if balance.budget is not None:
            notes.append(f"capped by the key's {balance.budget.scope} budget")
        if statement(balance) is not None and balance.remaining is None:  # an ordinary key
            notes.append("the account's balance needs a management key")
        return f"{UNKNOWN}  ({', '.join(notes)})"
    if balance.budget is not None:
        return f"{_or_unknown(balance.spendable)}  (capped by the key's {balance.budget.scope} budget)"
    return _or_unknown(balance.spendable)


def _days_left(balance: Balance, *, ranged: bool = False) -> str:
    """``12.4``, ``ranged`` with its 80 % range: ``12.4  (10.1 to 15.0)``; ``no spend``; ``unknown``."""
    left = balance.days_left_range
    if left is not None and ranged and left.central > 0 and left.low is not None and left.high is not None:
        return f"{days(left.central)}  ({day_range(left.low, left.high)})"
    if balance.days_left is not None:
        return days(balance.days_left)
    if balance.remaining is not None and balance.spend_per_day == 0:
        return "no spend"  # the forecast spends nothing: no end in sight, which is not 0
    return UNKNOWN


def _month_end(balance: Balance) -> str:
    """``$31.00  (projected by 31 Dec: $29.10 to $32.90; $3.00 so far)``: the month's spend by its end."""
    month, forecast = balance.month_end_spend, balance.forecast
    if month is None or forecast is None:
        return UNKNOWN
    at = forecast.at
    last = calendar.monthrange(at.year, at.month)[1]
    notes = f"projected by {last} {at:%b}"
    if month.low is not None and month.high is not None:
        notes += f": {money(month.low)} to {money(month.high)}"
    if forecast.month_to_date is not None:
        notes += f"; {money(forecast.month_to_date)} so far"
    return f"{money(month.central)}  ({notes})"


def forecast_note(balance: Balance) -> str | None:
    """One line when the forecast is not the weekday model: its method, and why."""
    forecast = balance.forecast
    if forecast is None or forecast.reason is None:
        return None
    return f"note: the forecast is the {forecast.method}: {forecast.reason}"


def _unknown(balance: Balance, named: Mapping[str, str] | None) -> dict[str, str]:
    """The reason for each null of the JSON view: the Balance's own, the totals of ``/credits``, and
    the forecast's figures (``forecast.month_end_spend``, ``forecast.high``) when it is known. A
    failed call's message in a reason names the settings as ``named`` does (the command's options)."""
    unknown = {field: _restated(reason, balance, named) for field, reason in balance.unknown.items()}
    if balance.credits is None and "remaining" in unknown:
        unknown.setdefault("total_credits", unknown["remaining"])
        unknown.setdefault("total_usage", unknown["remaining"])
    unknown.pop("days_left_range", None)  # the forecast's days_left, low and high: as days_left
    month = unknown.pop("month_end_spend", None)
    if balance.forecast is not None:
        if month is not None:
            unknown["forecast.month_end_spend"] = month
        left = balance.days_left_range
        if left is not None and left.high is not None and math.isinf(left.high):
            unknown["forecast.high"] = "at the low end of the forecast nothing is spent: the amount never runs out"
    return unknown


def _restated(reason: str, balance: Balance, named: Mapping[str, str] | None) -> str:
    """``reason`` with each failed call's message (in the library's words: ``base_url``) in the words
    of ``named`` (``--base-url``, ``OPENROUTER_BASE_URL``)."""
    if named is None:
        return reason
    for error in balance.errors.values():
        said = str(error)
        if said and said in reason:
            reason = reason.replace(said, error.describe(named))
    return reason


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else value


def forecast_json(balance: Balance) -> dict[str, Any] | None:
    """The forecast as the JSON view's ``forecast``: its method (and why, when it is not the weekday
    model), spend per day, days left with its range (``low``, ``high``: null for for ever), the
    month's end with its range, and each day of the coming week; None when it is unknown."""
    forecast = balance.forecast
    if forecast is None:
        return None
    left, month = balance.days_left_range, balance.month_end_spend
    return {
        "method": forecast.method,
        "reason": forecast.reason,
        "history_days": forecast.history_days,
        "spend_per_day": estimate_dollars(forecast.spend_per_day),
        "days_left": None if left is None else estimate_days(left.central),
        "low": None if left is None else estimate_days(left.low),
        "high": None if left is None else estimate_days(_finite(left.high)),
        "month_end_spend": None if month is None else estimate_dollars(month.central),
        "month_end_low": None if month is None else estimate_dollars(month.low),
        "month_end_high": None if month is None else estimate_dollars(month.high),
        "month_to_date": forecast.month_to_date,
        "daily": [
            {
                "date": day.date.isoformat(),
                "spend": estimate_dollars(day.central),
                "low": estimate_dollars(day.low),
                "high": estimate_dollars(day.high),
            }
            for day in forecast.daily
        ],
    }


def balance_json(balance: Balance | None, named: Mapping[str, str] | None = None, **more: object) -> dict[str, Any]:
    """The view as JSON: the three totals as before, what was added, ``null`` for unknown, and
    ``unknown`` with the reason for each (a failed call's message naming the settings as ``named``
    does). None (a fetch that failed): the same keys, every one null, for the reason the caller's
    ``error`` gives."""
    if balance is None:
        return {**dict.fromkeys(_JSON_FIELDS), "unknown": dict.fromkeys(_JSON_FIELDS, FAILED), **more}
    credits = balance.credits
    key = balance.key
    layers = None if key is None else key.budget_layers
    effective = None if key is None else key.effective_layer
    return {
        "total_credits": None if credits is None else credits.total_credits,
        "total_usage": None if credits is None else credits.total_usage,
        "remaining": balance.remaining,
        "spendable": balance.spendable,
        "spendable_at_most": balance.spendable_at_most,
        "spend_per_day": estimate_dollars(balance.spend_per_day),
        "days_left": estimate_days(balance.days_left),
        "forecast": forecast_json(balance),
        "daily_spend": None
        if balance.daily_spend is None
        else [{"date": day.date.isoformat(), "usage": day.usage} for day in balance.daily_spend],
        "key": None
        if key is None
        else {
            "label": without_secrets(key.label),  # a label is a key's shortened form, never the key
            "is_management_key": key.is_management_key,
            "is_free_tier": key.is_free_tier,
            "limit": key.limit,
            "limit_remaining": key.limit_left,
            "usage": key.usage,
            "usage_daily": key.usage_daily,
            "usage_weekly": key.usage_weekly,
            "usage_monthly": key.usage_monthly,
            "limit_reset": key.limit_reset,
            "resets_at": rfc3339(key.resets_at(balance.at)),
            "byok_usage": key.byok_usage,
            "include_byok_in_limit": key.include_byok_in_limit,
            "budgets": None if layers is None else [layer.as_json(balance.at) for layer in layers],
            "effective_budget": None if effective is None else effective.as_json(balance.at),
        },
        "capped_by_budget": None if balance.budget is None else balance.budget.scope,
        "unknown": _unknown(balance, named),
        **more,
    }


#: Why every field of a fetch that failed is null (its ``error`` says how it failed).
FAILED = "the calls failed: see error"

#: The top-level fields of the JSON view, in order (a failed fetch has them all, null).
_JSON_FIELDS = (
    "total_credits",
    "total_usage",
    "remaining",
    "spendable",
    "spendable_at_most",
    "spend_per_day",
    "days_left",
    "forecast",
    "daily_spend",
    "key",
    "capped_by_budget",
)


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
        limit = UNKNOWN if key is None else ("none" if key.limit is None else _or_unknown(key.limit_left))
        table.append(
            (
                name,
                _or_unknown(balance.remaining),
                _spendable_cell(balance),
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


def _spendable_cell(balance: Balance) -> str:
    """Spendable in a row of ``key_rows``: the figure, else its bound (``at most $7.50``), else unknown."""
    if balance.spendable is None and balance.spendable_at_most is not None:
        return f"at most {money(balance.spendable_at_most)}"
    return _or_unknown(balance.spendable)


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


def _share(part: float, total: float) -> float | None:
    return None if total <= 0 else part / total


def share_json(spends: Sequence[Spend], by: str) -> list[dict[str, Any]]:
    """``spend --by --json``: every model (or provider), the most spent first, with its share of the
    30 days' total (null when nothing was spent)."""
    total = exact_sum(spend.usage for spend in spends)
    return [
        {
            by: spend.name,
            "usage": spend.usage,
            "usage_7d": spend.usage_7d,
            "requests": spend.requests,
            "share": _share(spend.usage, total),
        }
        for spend in spends
    ]


def share_chart(spends: Sequence[Spend], top: int, by: str, *, unicode: bool) -> str:
    """The ``top`` most spent models (or providers) and ``other``: a bar of the 30 days' spend, the
    amount, its share, and the last 7 days' spend beside it; then the total. A name is shortened and
    its control characters written as escapes (``_text.shown``)."""
    rows = [(spend.name, spend.usage, spend.usage_7d) for spend in spends[:top]]
    rest = spends[top:]
    if rest:
        rows.append(("other", exact_sum(s.usage for s in rest), exact_sum(s.usage_7d for s in rest)))
    total = exact_sum(spend.usage for spend in spends)
    if not rows:
        return f"No spend by {by} in the last 30 days."
    largest = max(usage for _, usage, _ in rows)
    header = (by.capitalize(), "30 days", "Share", "7 days")
    cells = [header]
    for name, usage, week in rows:
        share = _share(usage, total)
        cells.append((shown(name), money(usage), "-" if share is None else f"{share:.1%}", money(week)))
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = []
    for index, row in enumerate(cells):
        text = f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}"
        bar = "" if index == 0 else _bar(rows[index - 1][1], largest, unicode)
        lines.append(f"{text}  {bar}".rstrip())
    lines.append(
        f"Total {money(total)} over {ACTIVITY_DAYS} days, {money(exact_sum(s.usage_7d for s in spends))} in the last 7"
    )
    return "\n".join(lines)
