"""How the mock answers ``GET /analytics/meta`` and ``POST /analytics/query`` (beta on OpenRouter).

As OpenRouter's own documentation describes the API: metric names come from the meta answer; at
most 2 dimensions and 20 filters; ``granularity`` (here ``day``, ``week`` or ``month``) puts a
``date__<granularity>`` in each row; ``limit`` (1 to 10,000, default 1,000) with
``metadata.truncated``. Count metrics are sent as strings, cost metrics as numbers. The ``model``,
``api_key_id``, ``workspace``, ``user`` (the organization's member) and ``app`` dimensions answer
display labels (key names may repeat: rows are grouped by the key, not its name), ``external_user``
(the end user: what requests send in ``user``) what the requests sent (null for none), while filters
take the ids (a key's hash, a
workspace's UUID, a member's id, an app's number, a model's slug). Volume and cost metrics reach 365
days; ``provider``, ``openrouter_usage`` and ``byok_fees`` only 31 (per-generation data).

Pure functions of the request and the facts (``_history``): the routing, the key and the rate limit
are ``_answers``'s.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .._money import exact_decimal
from ._history import APPS, MODEL_NAMES, Fact

__all__ = ["ANALYTICS_DATE_FORMATS", "DEFAULT_LIMIT", "MAX_LIMIT", "META", "Lookups", "meta", "query"]

#: How ``date__<granularity>`` is written: both are seen from OpenRouter.
ANALYTICS_DATE_FORMATS = {
    "timestamp": "2026-05-19T00:00:00.000Z, as the API document's example",
    "date": "2026-05-19, as OpenRouter's analytics guide shows it",
}
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
MAX_DIMENSIONS = 2
MAX_FILTERS = 20
LONG_RANGE_DAYS = 365
SHORT_RANGE_DAYS = 31
#: BYOK requests pay this share of their inference cost to OpenRouter as a fee (part of ``usage``).
BYOK_FEE = decimal.Decimal("0.05")
DAY = dt.timedelta(days=1)


class Metric(NamedTuple):
    label: str
    display_format: str  # number (a count, sent as a string) or currency (dollars, a number)
    days: int
    value: Callable[[Fact], decimal.Decimal | int]


def _fee(fact: Fact) -> decimal.Decimal:
    return exact_decimal(fact.byok_usage) * BYOK_FEE


METRICS: dict[str, Metric] = {
    "request_count": Metric("Request Count", "number", LONG_RANGE_DAYS, lambda f: f.requests),
    "byok_request_count": Metric("BYOK Request Count", "number", LONG_RANGE_DAYS, lambda f: f.byok_requests),
    "tokens_prompt": Metric("Prompt Tokens", "number", LONG_RANGE_DAYS, lambda f: f.prompt_tokens),
    "tokens_completion": Metric("Completion Tokens", "number", LONG_RANGE_DAYS, lambda f: f.completion_tokens),
    "tokens_total": Metric("Total Tokens", "number", LONG_RANGE_DAYS, lambda f: f.prompt_tokens + f.completion_tokens),
    "reasoning_tokens": Metric("Reasoning Tokens", "number", LONG_RANGE_DAYS, lambda f: f.reasoning_tokens),
    "cached_tokens": Metric("Cached Tokens", "number", LONG_RANGE_DAYS, lambda f: f.cached_tokens),
    "total_usage": Metric(
        "Total Usage", "currency", LONG_RANGE_DAYS, lambda f: exact_decimal(f.usage) + exact_decimal(f.byok_usage)
    ),
    "credits_usage": Metric("Credits Usage", "currency", LONG_RANGE_DAYS, lambda f: exact_decimal(f.usage)),
    "byok_usage": Metric("BYOK Usage", "currency", LONG_RANGE_DAYS, lambda f: exact_decimal(f.byok_usage)),
    "openrouter_usage": Metric(
        "OpenRouter Usage", "currency", SHORT_RANGE_DAYS, lambda f: exact_decimal(f.usage) - _fee(f)
    ),
    "byok_fees": Metric("BYOK Fees", "currency", SHORT_RANGE_DAYS, _fee),
}


class Lookups(NamedTuple):
    """What the labels and filter ids resolve against: the keys (by hash), workspaces (by id) and
    members (by id) the account has, with their names."""

    key_names: Mapping[str, str]
    workspace_names: Mapping[str, str]
    user_names: Mapping[str, str]


class Dimension(NamedTuple):
    label: str
    days: int
    #: The fact's underlying value: what rows are grouped by and filters compare (after resolution).
    value: Callable[[Fact], str]
    #: The label a row answers for that value (None: the dimension's unset bucket).
    shown: Callable[[str, Lookups], str | None]


def _as_is(value: str, lookups: Lookups) -> str:
    return value


DIMENSIONS: dict[str, Dimension] = {
    "model": Dimension("Model", LONG_RANGE_DAYS, lambda f: f.model, lambda v, _: MODEL_NAMES.get(v, v)),
    "variant": Dimension("Variant", LONG_RANGE_DAYS, lambda f: "standard", _as_is),
    "api_key_id": Dimension(
        "API Key", LONG_RANGE_DAYS, lambda f: f.key_hash or "", lambda v, look: look.key_names.get(v, "")
    ),
    "user": Dimension("User", LONG_RANGE_DAYS, lambda f: f.user_id, lambda v, look: look.user_names.get(v, v)),
    "external_user": Dimension("End User", LONG_RANGE_DAYS, lambda f: f.external_user, lambda v, _: v or None),
    "workspace": Dimension(
        "Workspace", LONG_RANGE_DAYS, lambda f: f.workspace_id, lambda v, look: look.workspace_names.get(v, v)
    ),
    "app": Dimension("App", LONG_RANGE_DAYS, lambda f: str(f.app_id), lambda v, _: APPS.get(int(v), v)),
    "provider": Dimension("Provider", SHORT_RANGE_DAYS, lambda f: f.provider, _as_is),
}

OPERATORS = {
    "eq": "scalar",
    "neq": "scalar",
    "in": "array",
    "not_in": "array",
    "gt": "scalar",
    "gte": "scalar",
    "lt": "scalar",
    "lte": "scalar",
}
GRANULARITIES = {"day": "Day", "week": "Week", "month": "Month"}

#: ``GET /analytics/meta``'s ``data``.
META: dict[str, Any] = {
    "metrics": [
        {"name": name, "display_label": m.label, "is_rate": False, "display_format": m.display_format}
        for name, m in METRICS.items()
    ],
    "dimensions": [{"name": name, "display_label": d.label} for name, d in DIMENSIONS.items()],
    "operators": [{"name": name, "value_type": kind} for name, kind in OPERATORS.items()],
    "granularities": [{"name": name, "display_label": label} for name, label in GRANULARITIES.items()],
}


_ABSENT: Any = object()


def meta(dimensions: Iterable[str] | None = None) -> dict[str, Any]:
    """``GET /analytics/meta``'s ``data``: with ``dimensions``, only those dimensions offered (an API
    that offers fewer, such as one without the end-user dimension)."""
    if dimensions is None:
        return META
    offered = set(dimensions)
    return {**META, "dimensions": [d for d in META["dimensions"] if d["name"] in offered]}


class BadQuery(ValueError):
    """The query is not one the API runs: its message is the 400's."""


def _names(body: Mapping[str, Any], field: str, known: Mapping[str, Any], most: int | None) -> list[str]:
    value = body.get(field, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadQuery(f"{field} must be a list of names")
    if most is not None and len(value) > most:
        raise BadQuery(f"At most {most} {field} may be given, not {len(value)}")
    for name in value:
        if name not in known:
            raise BadQuery(
                f"Unknown {field[:-1]} {name[:100]!r}; GET /api/v1/analytics/meta lists the available {field}"
            )
    return value


def _time(text: object, field: str) -> dt.datetime:
    if not isinstance(text, str):
        raise BadQuery(f"time_range.{field} must be an ISO 8601 date-time")
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadQuery(f"time_range.{field} is not an ISO 8601 date-time: {text[:100]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _count(body: Mapping[str, Any], field: str, default: int | None) -> int | None:
    value = body.get(field, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise BadQuery(f"{field} must be a whole number from 1 to {MAX_LIMIT:,}, not {str(value)[:100]}")
    return value


class _Filter(NamedTuple):
    field: str
    operator: str
    values: tuple[str, ...]
    unset: bool


def _filters(body: Mapping[str, Any], known: Mapping[str, Dimension]) -> list[_Filter]:
    given = body.get("filters", [])
    if not isinstance(given, list):
        raise BadQuery("filters must be a list")
    if len(given) > MAX_FILTERS:
        raise BadQuery(f"At most {MAX_FILTERS} filters may be given, not {len(given)}")
    out = []
    for index, item in enumerate(given):
        if not isinstance(item, dict) or not {"field", "operator", "value"} <= set(item):
            raise BadQuery(f"filters[{index}] needs field, operator and value")
        field, operator, value = item["field"], item["operator"], item["value"]
        if not isinstance(field, str) or not isinstance(operator, str):
            raise BadQuery(f"filters[{index}]: field and operator are names")
        if field not in known:
            raise BadQuery(f"filters[{index}].field: unknown dimension {str(field)[:100]!r}")
        if operator not in OPERATORS:
            raise BadQuery(f"filters[{index}].operator: unknown operator {str(operator)[:100]!r}")
        array = OPERATORS[operator] == "array"
        scalar = isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool))
        if array != isinstance(value, list) or (not array and not scalar):
            kind = "an array" if array else "a string or a number"
            raise BadQuery(f"filters[{index}].value: the operator {operator} takes {kind}")
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
            raise BadQuery(f"filters[{index}].value: the values are strings or numbers")
        unset = item.get("include_unset", False)
        if not isinstance(unset, bool):
            raise BadQuery(f"filters[{index}].include_unset must be true or false")
        out.append(_Filter(field, operator, tuple(_filter_text(v) for v in values), unset))
    return out


def _filter_text(value: str | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _resolved(flt: _Filter, facts: Sequence[Fact], lookups: Lookups, warnings: list[str]) -> _Filter:
    """A filter's values as the facts hold them: a model's slug for its permaslug; a key's hash stays
    (one no key has matches nothing, with a warning, as OpenRouter answers it)."""
    if flt.field == "model":
        slugs = {fact.permaslug: fact.model for fact in facts}
        return flt._replace(values=tuple(slugs.get(v, v) for v in flt.values))
    if flt.field == "api_key_id":
        for value in flt.values:
            if value not in lookups.key_names:
                warnings.append(f"Could not resolve api_key_id {value[:100]!r}: no key of this account has it")
    return flt


def _keeps(flt: _Filter, value: str) -> bool:
    if value == "" and flt.operator in ("in", "not_in") and flt.unset:
        return True
    op = flt.operator
    if op in ("eq", "in"):
        return value in flt.values
    if op in ("neq", "not_in"):
        return value not in flt.values
    other = flt.values[0]
    compare: dict[str, Callable[[str, str], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    return compare[op](value, other)


def _bucket(day: dt.date, granularity: str) -> dt.date:
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def _written(day: dt.date, form: str) -> str:
    return day.isoformat() if form == "date" else f"{day.isoformat()}T00:00:00.000Z"


def _sort_key(value: object) -> tuple[int, Any]:
    if value is None:  # an unset bucket's label: before the others
        return (-1, 0)
    if isinstance(value, str):
        try:
            return (0, int(value))
        except ValueError:
            return (1, value)
    return (0, value)


def query(
    body: object,
    facts: Sequence[Fact],
    lookups: Lookups,
    now: dt.datetime,
    date_format: str,
    dimensions: Iterable[str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The status and JSON of ``POST /analytics/query`` for ``body`` over ``facts`` at ``now``; with
    ``dimensions``, only those dimensions offered (as ``meta`` lists them)."""
    known = DIMENSIONS if dimensions is None else {name: DIMENSIONS[name] for name in dimensions}
    try:
        return 200, {"data": _run(body, facts, lookups, now, date_format, known)}
    except BadQuery as bad:
        return 400, {"error": {"code": 400, "message": str(bad)}}


def _run(
    body: object,
    facts: Sequence[Fact],
    lookups: Lookups,
    now: dt.datetime,
    date_format: str,
    known: Mapping[str, Dimension],
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadQuery("The request body must be a JSON object")
    if "metrics" not in body:
        raise BadQuery("metrics is required: at least one metric name")
    metrics = _names(body, "metrics", METRICS, None)
    if not metrics:
        raise BadQuery("metrics needs at least one metric name")
    dimensions = _names(body, "dimensions", known, MAX_DIMENSIONS)
    for field in ("granularity", "limit", "group_limit", "order_by", "time_range", "dimensions", "filters"):
        if field in body and body[field] is None:
            raise BadQuery(f"{field} may be left out, not null")
    granularity = body.get("granularity")
    if granularity is not None and (not isinstance(granularity, str) or granularity not in GRANULARITIES):
        raise BadQuery(f"Unknown granularity {str(granularity)[:100]!r}; one of {', '.join(GRANULARITIES)}")
    for field in ("classifier_dimensions", "classifier_filters"):
        if field in body:
            raise BadQuery(f"{field}: no classifier of this account has that classifier_id")
    filters = _filters(body, known)
    limit = _count(body, "limit", DEFAULT_LIMIT)
    group_limit = _count(body, "group_limit", None)
    order = body.get("order_by")
    fields = {*metrics, *dimensions, "date", "request_count"}
    if order is not None and (
        not isinstance(order, dict)
        or not isinstance(order.get("field"), str)
        or order["field"] not in fields
        or order.get("direction") not in ("asc", "desc")
    ):
        raise BadQuery("order_by needs field (a requested metric or dimension, or date) and direction (asc or desc)")
    window = body.get("time_range", _ABSENT)
    if window is _ABSENT:  # the last 7 days, as OpenRouter documents
        start, end = now - 7 * DAY, now
    elif not isinstance(window, dict) or not {"start", "end"} <= set(window):
        raise BadQuery("time_range needs start and end")
    else:
        start, end = _time(window["start"], "start"), _time(window["end"], "end")
    if start >= end:
        raise BadQuery("time_range.start must be before time_range.end")
    named = {*metrics, *dimensions, *(f.field for f in filters)}
    most = min(_days(name) for name in named)
    if end - start > most * DAY:
        short = sorted(name for name in named if _days(name) < LONG_RANGE_DAYS)
        why = f" ({', '.join(short)}: {SHORT_RANGE_DAYS} days at most)" if short else ""
        span = (end - start) / DAY
        raise BadQuery(f"The time range spans {span:g} days; this query reaches at most {most} days{why}")

    warnings: list[str] = []
    chosen = [_resolved(f, facts, lookups, warnings) for f in filters]
    groups: dict[tuple[Any, ...], list[Fact]] = {}
    for fact in facts:
        day_start = dt.datetime.combine(fact.day, dt.time(), dt.UTC)
        if not (day_start < end and day_start + DAY > start):
            continue
        if not all(_keeps(f, DIMENSIONS[f.field].value(fact)) for f in chosen):
            continue
        bucket = None if granularity is None else _bucket(fact.day, granularity)
        key = (bucket, *(DIMENSIONS[d].value(fact) for d in dimensions))
        groups.setdefault(key, []).append(fact)
    rows: list[Entry] = []
    for (bucket, *values), members in groups.items():
        row: dict[str, Any] = {}
        if granularity is not None:
            row[f"date__{granularity}"] = _written(bucket, date_format)
        for name, value in zip(dimensions, values, strict=True):
            row[name] = DIMENSIONS[name].shown(value, lookups)
        for name in metrics:
            row[name] = _total(METRICS[name], members)
        sort = dict(row)
        if order is not None and order["field"] in METRICS and order["field"] not in row:
            sort[order["field"]] = _total(METRICS[order["field"]], members)  # ordered by without being asked
        rows.append((bucket, tuple(values), row, sort))
    rows = _ordered(rows, order, granularity, metrics)
    if group_limit is not None and dimensions:
        seen: dict[tuple[str, ...], int] = {}
        kept = []
        for entry in rows:
            seen[entry[1]] = seen.get(entry[1], 0) + 1
            if seen[entry[1]] <= group_limit:
                kept.append(entry)
        rows = kept
    assert limit is not None
    data = [entry[2] for entry in rows[:limit]]
    answer: dict[str, Any] = {
        "data": data,
        "metadata": {"query_time_ms": 1, "row_count": len(data), "truncated": len(rows) > limit},
    }
    if warnings:
        answer["warnings"] = warnings
    return answer


def _days(name: str) -> int:
    if name in METRICS:
        return METRICS[name].days
    return DIMENSIONS[name].days if name in DIMENSIONS else LONG_RANGE_DAYS


def _total(metric: Metric, members: Iterable[Fact]) -> str | float:
    if metric.display_format == "number":
        return str(sum(int(metric.value(fact)) for fact in members))
    total = sum((decimal.Decimal(metric.value(fact)) for fact in members), decimal.Decimal(0))
    value = float(total)
    return value if math.isfinite(value) else 0.0


Entry = tuple[Any, tuple[str, ...], dict[str, Any], dict[str, Any]]


def _ordered(
    rows: list[Entry], order: Mapping[str, Any] | None, granularity: str | None, metrics: Sequence[str]
) -> list[Entry]:
    """Ordered as asked (``order_by``), else the newest bucket first (with a granularity) or the first
    metric's largest first; ties by the dimensions' underlying values, so the order is deterministic."""
    rows = sorted(rows, key=lambda entry: entry[1])
    if order is not None:
        field = order["field"]
        if field == "date":
            field = f"date__{granularity}"
        reverse = order["direction"] == "desc"
        return sorted(rows, key=lambda entry: _sort_key(entry[3].get(field, "")), reverse=reverse)
    if granularity is not None:
        return sorted(rows, key=lambda entry: entry[0], reverse=True)
    first = metrics[0]
    return sorted(rows, key=lambda entry: _sort_key(entry[3][first]), reverse=True)
