"""The Prometheus text exposition of balances: metric families, names and help, rendered to text.

Shared by ``openrouter-credits --format prometheus`` and the exporter's ``/metrics``. Names follow
the conventions: ``openrouter_credits_<name>_<unit>``, base units (dollars, seconds), ``_total`` only
for counters; a value that is unknown is an absent series, never 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from .._balance import Balance
from .._exceptions import OpenRouterCreditsError, OperationUnavailable, PermissionDeniedError
from .._format import estimate_dollars, estimate_seconds

if TYPE_CHECKING:
    from .._activity import Spend
    from .._api_key import ApiKey
    from .._budgets import BudgetLayer
    from .._key_info import KeyInfo
    from .teams import TeamSpend

__all__ = [
    "ACCOUNT_KEY",
    "ACCOUNT_KEY_METRICS",
    "CALLS",
    "METRICS",
    "MODEL_SPEND",
    "OTHER",
    "PREFIX",
    "RESERVED_MARK",
    "TEAM_SPEND",
    "Family",
    "account_key_metrics",
    "balance_metrics",
    "call_outcomes",
    "exposition",
    "hash_labels",
    "joined_exposition",
    "merge_families",
    "model_spend_metrics",
    "refused",
    "rendered_samples",
    "reserved",
    "team_spend_metrics",
]


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


def _head(family: Family) -> list[str]:
    return [f"# HELP {family.name} {family.help}", f"# TYPE {family.name} {family.type}"]


def _sample_lines(family: Family) -> list[str]:
    lines = []
    for labels, value in family.samples:
        if labels:
            inner = ",".join(f'{name}="{_label_value(text)}"' for name, text in labels.items())
            lines.append(f"{family.name}{{{inner}}} {_number(value)}")
        else:
            lines.append(f"{family.name} {_number(value)}")
    return lines


def exposition(families: Iterable[Family]) -> str:
    """The Prometheus text format (0.0.4): HELP and TYPE lines, then the samples, of each family
    that has any (a family without samples is left out: unknown is absent, never 0)."""
    lines: list[str] = []
    for family in families:
        if family.samples:
            lines += [*_head(family), *_sample_lines(family)]
    return "\n".join(lines) + "\n"


def rendered_samples(families: Iterable[Family]) -> dict[str, tuple[Family, bytes]]:
    """One part of an exposition (one key's): each family's sample lines, rendered and encoded as
    UTF-8. Whatever rendering raises is raised here, so that a caller keeps one key's failure to it."""
    rendered: dict[str, tuple[Family, bytes]] = {}
    for family in families:
        lines = _sample_lines(family)
        text = "".join(f"{line}\n" for line in lines).encode()
        known = rendered.get(family.name)
        rendered[family.name] = (family, known[1] + text) if known else (family, text)
    return rendered


def joined_exposition(parts: Iterable[Mapping[str, tuple[Family, bytes]]]) -> bytes:
    """The text exposition of several ``rendered_samples`` parts: each family's HELP and TYPE once,
    then its samples from every part, in the order families first appear; families without
    samples left out."""
    families: dict[str, tuple[Family, list[bytes]]] = {}
    for part in parts:
        for name, (family, text) in part.items():
            if name not in families:
                families[name] = (family, [])
            if text:
                families[name][1].append(text)
    chunks: list[bytes] = []
    for family, texts in families.values():
        if texts:
            chunks.append(("\n".join(_head(family)) + "\n").encode())
            chunks += texts
    return b"".join(chunks)


PREFIX = "openrouter_credits"
METRICS = {
    "purchased": ("purchased_dollars", "Credits bought in total by the account, in US dollars."),
    "used": ("used_dollars", "Credits used in total by the account, in US dollars."),
    "remaining": ("remaining_dollars", "The account's credits remaining (bought minus used), in US dollars."),
    "spendable": (
        "spendable_dollars",
        "What this key may still spend: the smallest of the account's remaining credits, the key's limit "
        "remaining and its effective budget's remaining, in US dollars.",
    ),
    "spendable_at_most": (
        "spendable_at_most_dollars",
        "The most this key may still spend: spendable when it is known, else what is known to bound it (an "
        "ordinary key's limit and budgets, the account's balance being out of its sight; the account's remaining "
        "when the key's own call failed), in US dollars.",
    ),
    "spend_per_day": (
        "spend_per_day_dollars",
        "Forecast spend of an average day of the coming week (forecast_info names the method: weekday, or the "
        "7-day average with too little history), in US dollars.",
    ),
    # Prometheus wants base units: the days left, in seconds (promtool refuses a _days_left name). The
    # range's ends are families of their own, not a label: a family's series add up to something (sum()
    # over a bound label would add a forecast to its own range), and time_left_seconds stays what it was.
    "time_left": (
        "time_left_seconds",
        "Time until the account's credits run out at the forecast's central spend, in seconds (days left x 86400).",
    ),
    "time_left_low": (
        "time_left_low_seconds",
        "The low end of time_left_seconds' 80 % range (the credits spent at the high end of the forecast), in seconds.",
    ),
    "time_left_high": (
        "time_left_high_seconds",
        "The high end of time_left_seconds' 80 % range (at the low end of the forecast), in seconds; absent when "
        "the low end spends nothing.",
    ),
    "month_end_spend": (
        "month_end_spend_dollars",
        "The account's spend this calendar month (UTC) by its end: what was spent and the forecast of the rest, "
        "in US dollars.",
    ),
    "month_end_spend_low": (
        "month_end_spend_low_dollars",
        "The low end of month_end_spend_dollars' 80 % range, in US dollars.",
    ),
    "month_end_spend_high": (
        "month_end_spend_high_dollars",
        "The high end of month_end_spend_dollars' 80 % range, in US dollars.",
    ),
    "forecast_info": (
        "forecast_info",
        "1, with the method of the forecast behind spend_per_day, time_left and month_end_spend: weekday, or "
        "7-day average (N-day average) when the history is too short for the weekday model.",
    ),
    "key_limit_remaining": (
        "key_limit_remaining_dollars",
        "What the key's own spending limit still allows, in US dollars.",
    ),
    "key_limit_reset": (
        "key_limit_reset_timestamp_seconds",
        "Unix time at which the key's limit next resets (daily, weekly on Monday or monthly on the 1st, at 00:00 UTC).",
    ),
    "key_budget_remaining": (
        "key_budget_remaining_dollars",
        "What each budget layer of the key (guardrail, workspace, the key's own limit) still allows, by scope, "
        "in US dollars.",
    ),
    "key_usage": ("key_usage_dollars", "The key's own usage in US dollars, by period: day, week, month (UTC) or all."),
    "up": (
        "up",
        "1 when every call of the last fetch succeeded, 0 when any failed (see call_up): a figure may be missing.",
    ),
    "call_up": (
        "call_up",
        "1 when the last call of each kind (credits, key, activity, keys) succeeded, 0 when it failed; absent "
        "for a call this kind of key may not make.",
    ),
    "last_success": ("last_success_timestamp_seconds", "Unix time of the last successful fetch."),
}


def _family(metric: str, samples: Sequence[tuple[Mapping[str, str], float]], kind: str = "gauge") -> Family:
    suffix, help_text = METRICS[metric]
    return Family(f"{PREFIX}_{suffix}", help_text, kind, samples)


def _budget_samples(layers: Iterable[BudgetLayer], labels: Mapping[str, str]) -> list[tuple[Mapping[str, str], float]]:
    """One sample per scope: the least remaining among the layers of that scope (the one that blocks
    first), so that two guardrails on one key do not make two series of the same name and labels."""
    least: dict[str, float] = {}
    for layer in layers:
        known = least.get(layer.scope)
        least[layer.scope] = layer.remaining_usd if known is None else min(known, layer.remaining_usd)
    return [({**labels, "scope": scope}, value) for scope, value in least.items()]


#: The calls of a poll, as ``call_up``'s ``call`` label names them.
CALLS = ("credits", "key", "activity", "keys")


def refused(call: str, error: OpenRouterCreditsError, key: KeyInfo | None) -> bool:
    """Whether ``error`` is what this kind of key always gets from ``call`` rather than a failure: an
    ordinary key's 403 from ``/credits`` or ``/activity`` (the account's figures are not its to
    read), or an operation the API document in use lacks (no call was made)."""
    if isinstance(error, OperationUnavailable):
        return True
    ordinary = key is not None and not key.is_management_key
    return ordinary and call in ("credits", "activity") and isinstance(error, PermissionDeniedError)


def call_outcomes(balance: Balance) -> dict[str, bool]:
    """Whether each call behind ``balance`` succeeded (the calls refused by design left out)."""
    made = ("credits", "keys" if balance.listed_key is not None or "listed_key" in balance.unknown else "key")
    outcomes = {}
    for call in (*made, "activity"):
        error = balance.errors.get(call)
        if error is None:
            outcomes[call] = True
        elif not refused(call, error, balance.key):
            outcomes[call] = False
    return outcomes


def balance_metrics(
    balance: Balance | None,
    labels: Mapping[str, str],
    *,
    up: bool,
    last_success: float | None,
    calls: Mapping[str, bool] | None = None,
) -> list[Family]:
    """The gauges of one key's balance (each sample with ``labels``); a value that is unknown, or a
    fetch that failed (``balance`` None), leaves its series out.

    ``calls``: whether each call of the fetch succeeded (``call_up``); by default what ``balance``
    says of its calls. ``up`` is written 1 only when the fetch succeeded and every call did: a poll
    that could read only part of what it needs shows it (its missing figures are absent)."""

    def one(value: float | None) -> list[tuple[Mapping[str, str], float]]:
        return [] if value is None else [(labels, value)]

    credits = None if balance is None else balance.credits
    key = None if balance is None else balance.key
    resets_at = None if balance is None or key is None else key.resets_at(balance.at)
    key_usage: list[tuple[Mapping[str, str], float]] = []
    budgets: list[tuple[Mapping[str, str], float]] = []
    if key is not None:
        periods = {"day": key.usage_daily, "week": key.usage_weekly, "month": key.usage_monthly, "all": key.usage}
        key_usage = [({**labels, "period": period}, value) for period, value in periods.items()]
        budgets = _budget_samples(key.budget_layers or (), labels)
    if calls is None:
        calls = {} if balance is None else call_outcomes(balance)
    complete = up and all(calls.values())
    return [
        _family("purchased", one(None if credits is None else credits.total_credits)),
        _family("used", one(None if credits is None else credits.total_usage)),
        _family("remaining", one(None if balance is None else balance.remaining)),
        _family("spendable", one(None if balance is None else balance.spendable)),
        _family("spendable_at_most", one(None if balance is None else balance.spendable_at_most)),
        _family("spend_per_day", one(None if balance is None else estimate_dollars(balance.spend_per_day))),
        *_forecast_families(balance, labels),
        _family("key_limit_remaining", one(None if key is None else key.limit_left)),
        _family("key_limit_reset", one(None if resets_at is None else resets_at.timestamp())),
        _family("key_budget_remaining", budgets),
        _family("key_usage", key_usage),
        _family("up", [(labels, 1.0 if complete else 0.0)]),
        _family("call_up", [({**labels, "call": call}, 1.0 if ok else 0.0) for call, ok in calls.items()]),
        _family("last_success", one(last_success)),
    ]


def _forecast_families(balance: Balance | None, labels: Mapping[str, str]) -> list[Family]:
    """Days left (central, low, high) in seconds, the month's end (central, low, high) and the
    forecast's method; each absent when unknown (or infinite)."""
    left = None if balance is None else balance.days_left_range
    month = None if balance is None else balance.month_end_spend
    forecast = None if balance is None else balance.forecast
    values = {
        "time_left": estimate_seconds(None if left is None else left.central),
        "time_left_low": estimate_seconds(None if left is None else left.low),
        "time_left_high": estimate_seconds(None if left is None else left.high),
        "month_end_spend": None if month is None else estimate_dollars(month.central),
        "month_end_spend_low": None if month is None else estimate_dollars(month.low),
        "month_end_spend_high": None if month is None else estimate_dollars(month.high),
    }
    families = [_family(name, [] if value is None else [(labels, value)]) for name, value in values.items()]
    method = [] if forecast is None else [({**labels, "method": forecast.method}, 1.0)]
    return [*families, _family("forecast_info", method)]


# --- the account's keys (a management key's listing) and its spend per model ----------------------------

ACCOUNT_KEY = f"{PREFIX}_account_key"
#: The listed keys' families, apart from the polled key's own ``key_*`` ones (other labels).
ACCOUNT_KEY_METRICS = {
    "usage": ("usage_dollars", "A listed key's usage in US dollars, by period: day, week, month (UTC) or total."),
    "limit": ("limit_dollars", "A listed key's spending limit, in US dollars."),
    "limit_remaining": (
        "limit_remaining_dollars",
        "What a listed key's limit still allows in its window, in US dollars.",
    ),
    "limit_reset": ("limit_reset_timestamp_seconds", "Unix time at which a listed key's limit next resets."),
    "projected": (
        "projected_usage_at_reset_dollars",
        "A listed key's usage in its limit's window projected to the reset (by its own days' forecast when a ledger "
        "has them, else at the window's pace so far), in US dollars.",
    ),
    "disabled": ("disabled", "1 for a listed key that is disabled, else 0."),
}
MODEL_SPEND = f"{PREFIX}_model_spend_dollars"
#: The label a key's listed hash is cut to (enough to tell keys apart, short enough to read).
KEY_HASH_DIGITS = 12
#: The key_name (and key_hash) of the keys beyond max_keys, summed; the model of the models beyond
#: top_models. Reserved: a model (or a hash) that is itself so named is written with ``RESERVED_MARK``
#: before it (``~other``), as is one that starts with the mark, so no two series share their labels.
OTHER = "other"
RESERVED_MARK = "~"


def reserved(value: str) -> str:
    """A name from the listing or the activity as a label value apart from the roll-up's ``other``
    (one to one: ``other`` is ``~other``, ``~x`` is ``~~x``, anything else as it is)."""
    return RESERVED_MARK + value if value == OTHER or value.startswith(RESERVED_MARK) else value


def hash_labels(hashes: Iterable[str]) -> dict[str, str]:
    """Each hash's ``key_hash`` label: its first 12 characters, or the whole hash where two hashes share
    their first 12 (a label must tell keys apart: two keys may have the same name)."""
    by_prefix: dict[str, set[str]] = {}
    for full in hashes:
        by_prefix.setdefault(full[:KEY_HASH_DIGITS], set()).add(full)
    labels = {}
    for prefix, group in by_prefix.items():
        for full in group:
            labels[full] = reserved(prefix if len(group) == 1 else full)
    return labels


def account_key_metrics(
    keys: Sequence[ApiKey],
    now: dt.datetime,
    labels: Mapping[str, str],
    *,
    max_keys: int | None = None,
    teams: Mapping[str, str | None] | None = None,
) -> list[Family]:
    """The families of each listed key (``key_name``, ``key_hash``: the hash's first 12 hex digits, the
    whole hash where two keys share those; never a secret, which a listing does not carry), with
    ``labels``; beyond ``max_keys`` keys, the most spent this month are kept and the rest summed as
    ``key_name="other"`` (usage only). With ``teams`` (each key's team by hash, ``_apps.teams``), a
    ``team`` label too: absent for a key two teams claim, and on the ``other`` roll-up."""
    kept = list(keys)
    rest: list[ApiKey] = []
    if max_keys is not None and len(kept) > max_keys:
        kept.sort(key=lambda k: (-k.usage_monthly, k.name, k.hash_))
        kept, rest = kept[:max_keys], kept[max_keys:]
    samples: dict[str, list[tuple[Mapping[str, str], float]]] = {name: [] for name in ACCOUNT_KEY_METRICS}
    hashes = hash_labels(key.hash_ for key in kept)
    for key in kept:
        own = {**labels, "key_name": key.name, "key_hash": hashes[key.hash_]}
        team = None if teams is None else teams.get(key.hash_)
        if team is not None:
            own["team"] = team
        periods = {"day": key.usage_daily, "week": key.usage_weekly, "month": key.usage_monthly, "total": key.usage}
        samples["usage"] += [({**own, "period": period}, value) for period, value in periods.items()]
        values = {
            "limit": key.limit,
            "limit_remaining": key.limit_left,
            "limit_reset": None if (at := key.resets_at(now)) is None else at.timestamp(),
            "projected": estimate_dollars(key.projected_at_reset(now)),
            "disabled": 1.0 if key.disabled else 0.0,
        }
        for name, value in values.items():
            if value is not None:
                samples[name].append((own, float(value)))
    if rest:
        from .._money import exact_sum

        other = {**labels, "key_name": OTHER, "key_hash": OTHER}
        fields = {"day": "usage_daily", "week": "usage_weekly", "month": "usage_monthly", "total": "usage"}
        samples["usage"] += [
            ({**other, "period": period}, exact_sum(getattr(k, field) for k in rest))
            for period, field in fields.items()
        ]
    return [
        Family(f"{ACCOUNT_KEY}_{suffix}", help_text, "gauge", samples[name])
        for name, (suffix, help_text) in ACCOUNT_KEY_METRICS.items()
    ]


def model_spend_metrics(spends: Sequence[Spend], labels: Mapping[str, str], *, top: int) -> Family:
    """``openrouter_credits_model_spend_dollars{model, window}`` (window 30d and 7d) for the ``top``
    most spent models, and the rest as ``model="other"`` (a model itself named ``other`` is ``~other``)."""
    from .._money import exact_sum

    samples: list[tuple[Mapping[str, str], float]] = []
    for spend in spends[:top]:
        model = reserved(spend.name)
        samples += [({**labels, "model": model, "window": "30d"}, spend.usage)]
        samples += [({**labels, "model": model, "window": "7d"}, spend.usage_7d)]
    rest = spends[top:]
    if rest:
        samples += [({**labels, "model": OTHER, "window": "30d"}, exact_sum(s.usage for s in rest))]
        samples += [({**labels, "model": OTHER, "window": "7d"}, exact_sum(s.usage_7d for s in rest))]
    return Family(
        MODEL_SPEND, "Spend per model over the last 30 or 7 completed UTC days, in US dollars.", "gauge", samples
    )


TEAM_SPEND = f"{PREFIX}_team_spend_dollars"


def team_spend_metrics(spends: Sequence[TeamSpend], labels: Mapping[str, str]) -> Family:
    """``openrouter_credits_team_spend_dollars{team, window="day|week|month"}``: each team's listed
    keys' usage today, this week and this month (``_apps.teams.team_spend``; ``unassigned``: the keys
    no team claims). A team that claims a key another team claims too has no series: unknown."""
    samples: list[tuple[Mapping[str, str], float]] = [
        ({**labels, "team": spend.team, "window": window}, getattr(spend, window))
        for spend in spends
        for window in ("day", "week", "month")
    ]
    return Family(
        TEAM_SPEND,
        "Spend of each team's listed keys today, this week (from Monday) or this month (UTC), by team (unassigned: "
        "the keys no team claims), in US dollars.",
        "gauge",
        samples,
    )
