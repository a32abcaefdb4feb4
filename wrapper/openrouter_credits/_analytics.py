"""OpenRouter's analytics API (beta), its answers: ``GET /analytics/meta`` (``AnalyticsMeta``) and
``POST /analytics/query`` (``AnalyticsResult``, read for the query it answers: ``read_result``). The
query, checked before any I/O, is ``_analytics_query``'s.

What the answers look like, from OpenRouter's own documentation: count metrics (``request_count``,
``tokens_*``) come as strings and cost metrics (``total_usage``) as numbers, so a row's counts are
read as ``int`` and its amounts as exact ``Decimal``s (the decimal the number was written as); the
``model``, ``api_key_id``, ``workspace``, ``user`` and ``app`` dimensions come back as display labels
(key names, which may repeat), while filters take the ids (a key's hash, a workspace's UUID); each
row of a query with a ``granularity`` has ``date__<granularity>``, written ``2026-05-19`` or
``2026-05-19T00:00:00.000Z``. At most 2 dimensions and 10,000 rows a query (``truncated`` says when
there were more); daily volume and cost reach 365 days back, per-generation dimensions 31.

Pure: the client does the I/O (``_client``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from ._activity import utc_date
from ._money import exact_decimal

if TYPE_CHECKING:
    from ._analytics_query import AnalyticsQuery

__all__ = [
    "MAX_QUOTED",
    "AnalyticsMeta",
    "AnalyticsMetric",
    "AnalyticsName",
    "AnalyticsOperator",
    "AnalyticsResult",
    "AnalyticsRow",
    "AnalyticsRows",
    "UnreadableRow",
    "read_result",
    "who_dimension",
]

#: How much of a value a message quotes.
MAX_QUOTED: Final = 64

Value = int | decimal.Decimal | None

_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class AnalyticsMetric(NamedTuple):
    """A metric ``GET /analytics/meta`` lists: its ``name`` (what a query asks for), how people read
    it, whether it is a rate (averaged, not summed) and how it is shown (``number``, ``currency``,
    ``percent``, ``latency``, ``throughput``)."""

    name: str
    display_label: str
    is_rate: bool
    display_format: str


class AnalyticsName(NamedTuple):
    """A dimension or a granularity ``GET /analytics/meta`` lists."""

    name: str
    display_label: str


class AnalyticsOperator(NamedTuple):
    """A filter operator: ``eq``, ``in``, ..., and whether it takes a ``scalar`` or an ``array``."""

    name: str
    value_type: str


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(getattr(value, "value", value))


@attrs.frozen
class AnalyticsMeta:
    """What the analytics API offers now (``GET /analytics/meta``): metrics, dimensions, filter
    operators and granularities, in the order OpenRouter lists them."""

    metrics: tuple[AnalyticsMetric, ...]
    dimensions: tuple[AnalyticsName, ...]
    operators: tuple[AnalyticsOperator, ...]
    granularities: tuple[AnalyticsName, ...]

    @classmethod
    def from_generated(cls, data: Any) -> AnalyticsMeta:
        """From the generated model of the answer's ``data`` (enums read as their values)."""
        return cls(
            tuple(
                AnalyticsMetric(m.name, m.display_label, bool(m.is_rate), _text(m.display_format)) for m in data.metrics
            ),
            tuple(AnalyticsName(d.name, d.display_label) for d in data.dimensions),
            tuple(AnalyticsOperator(_text(o.name), _text(o.value_type)) for o in data.operators),
            tuple(AnalyticsName(_text(g.name), g.display_label) for g in data.granularities),
        )

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(metric.name for metric in self.metrics)

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(dimension.name for dimension in self.dimensions)

    @property
    def granularity_names(self) -> tuple[str, ...]:
        return tuple(granularity.name for granularity in self.granularities)

    def metric(self, name: str) -> AnalyticsMetric | None:
        """The metric named ``name``, None when the API does not offer it."""
        return next((metric for metric in self.metrics if metric.name == name), None)


class AnalyticsRows(NamedTuple):
    """A query's answer as it came: each row's fields, and the answer's metadata."""

    rows: tuple[Mapping[str, Any], ...]
    truncated: bool
    row_count: int
    query_time_ms: float
    warnings: tuple[str, ...]

    @classmethod
    def from_generated(cls, data: Any) -> AnalyticsRows:
        warnings = data.warnings if isinstance(data.warnings, list) else []
        return cls(
            tuple(MappingProxyType(dict(row.additional_properties)) for row in data.data),
            bool(data.metadata.truncated),
            int(data.metadata.row_count),
            float(data.metadata.query_time_ms),
            tuple(str(warning) for warning in warnings),
        )


@attrs.frozen
class AnalyticsRow(Mapping[str, Any]):
    """One row of a query's answer: its day (the start of its bucket; None without a granularity),
    each dimension's label (``labels``: ``{"model": "OpenAI: GPT-4.1"}``; None where the answer had
    none) and each metric's value (``metrics``: counts as ``int``, amounts as exact ``Decimal``; None
    where the answer had none: unknown, never 0); ``extra`` holds the fields the query did not ask
    for. A row is also the mapping of its fields by the answer's names, read: ``row["total_usage"]``,
    ``row["model"]``, ``row["date__day"]`` (the ``date``), ``row.get(...)``."""

    date: dt.date | None
    labels: Mapping[str, str | None]
    metrics: Mapping[str, Value]
    extra: Mapping[str, Any] = attrs.field(factory=lambda: MappingProxyType({}))
    #: The answer's name of ``date`` (``date__day``, ``date__month``; None without a granularity).
    date_key: str | None = None

    def __getitem__(self, name: str) -> Any:
        if name in self.metrics:
            return self.metrics[name]
        if name in self.labels:
            return self.labels[name]
        if name == self.date_key and name is not None:
            return self.date
        return self.extra[name]

    def __iter__(self) -> Iterator[str]:
        if self.date_key is not None:
            yield self.date_key
        yield from self.labels
        yield from self.metrics
        yield from self.extra

    def __len__(self) -> int:
        return (self.date_key is not None) + len(self.labels) + len(self.metrics) + len(self.extra)


@attrs.frozen
class AnalyticsResult:
    """The answer to ``query_analytics()``: its rows, in the order OpenRouter sent them, and whether
    OpenRouter left rows out (``truncated``: more rows than the query's ``limit``; ask again with a
    narrower range or fewer dimensions). The query it answers is kept with it (``metrics``,
    ``dimensions``, ``granularity``, ``start``, ``end``), with ``warnings`` (filter values OpenRouter
    could not resolve, such as a key hash no key has) and the answer's ``row_count`` and
    ``query_time_ms``."""

    rows: tuple[AnalyticsRow, ...]
    truncated: bool
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...]
    granularity: str | None
    start: dt.datetime
    end: dt.datetime
    warnings: tuple[str, ...] = ()
    row_count: int = 0
    query_time_ms: float = 0.0

    def __iter__(self) -> Iterator[AnalyticsRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def total(self, metric: str) -> Value:
        """The exact sum of ``metric`` over the rows; None when a row's value is unknown (a rate's sum
        means nothing: average those yourself)."""
        values = [row.metrics.get(metric) for row in self.rows]
        if any(value is None for value in values):
            return None
        return sum((value for value in values if value is not None), start=0)


def read_result(query: AnalyticsQuery, raw: Any) -> AnalyticsResult:
    """The answer to ``query`` read (``raw``: the generated model, or ``AnalyticsRows``): its counts,
    amounts, labels and dates; raises ``UnreadableRow`` naming the field that is not one."""
    answer = raw if isinstance(raw, AnalyticsRows) else AnalyticsRows.from_generated(raw.data)
    date_key = None if query.granularity is None else f"date__{query.granularity}"
    rows = tuple(_row(query, index, row, date_key) for index, row in enumerate(answer.rows))
    return AnalyticsResult(
        rows,
        answer.truncated,
        query.metrics,
        query.dimensions,
        query.granularity,
        query.start,
        query.end,
        answer.warnings,
        answer.row_count,
        answer.query_time_ms,
    )


def _row(query: AnalyticsQuery, index: int, row: Mapping[str, Any], date_key: str | None) -> AnalyticsRow:
    where = f"data.data[{index}]"
    date = None
    if date_key is not None:
        text = row.get(date_key)
        try:
            date = utc_date(text) if isinstance(text, str) else None
        except ValueError:
            date = None
        if date is None:
            raise UnreadableRow(f"{where}.{date_key} is {_quoted(text)}, not a date")
    values: dict[str, Value] = {}
    for name in query.metrics:
        value = _metric(row.get(name))
        if value is _INVALID:
            raise UnreadableRow(f"{where}.{name} is {_quoted(row.get(name))}, not a count or an amount")
        values[name] = value
    labels: dict[str, str | None] = {}
    for name in query.dimensions:
        label = row.get(name)
        if isinstance(label, bool) or not (label is None or isinstance(label, str | int | float)):
            raise UnreadableRow(f"{where}.{name} is {_quoted(label)}, not a label")
        labels[name] = None if label is None else str(label)
    known = {*query.metrics, *query.dimensions, date_key}
    extra = {key: value for key, value in row.items() if key not in known}
    return AnalyticsRow(date, MappingProxyType(labels), MappingProxyType(values), MappingProxyType(extra), date_key)


class UnreadableRow(ValueError):
    """A row of a query's answer with a field that is not what the query asked for (a count that is
    not a number, a date that is not one); the message names it, with its JSON path."""


_INVALID: Any = object()


def _metric(value: object) -> Value | Any:
    """A metric's value: a count (a string of digits, or a JSON integer) as ``int``; an amount (a
    JSON number, or a string of a decimal) as the exact ``Decimal`` it was written as; null as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return exact_decimal(value) if value == value and abs(value) != float("inf") else _INVALID
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text):
            return decimal.Decimal(text)
    return _INVALID


def _quoted(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "…"


#: What spend is broken down by, by who spent it, as ``GET /analytics/meta`` may name the dimension:
#: ``user`` the end user (what requests send in their ``user`` field), ``member`` the organization's
#: member (OpenRouter's ``user`` dimension: its filters take a member's Clerk user id), ``app`` the app.
WHO_NAMES: Final = {"user": ("external_user", "end_user"), "member": ("user", "member"), "app": ("app",)}
_END_USER = re.compile(r"\b(end|external)[\s_-]*users?\b", re.IGNORECASE)


def who_dimension(meta: AnalyticsMeta, who: str) -> str | None:
    """The dimension of ``meta`` that breaks spend down by ``who`` (``user``, ``member`` or ``app``),
    None when the API offers none. The end user's is the one whose name or display label says end
    user or external user; a dimension that says so is never taken for the member's."""

    def end_user(dimension: AnalyticsName) -> bool:
        return bool(_END_USER.search(dimension.display_label) or _END_USER.search(dimension.name.replace("_", " ")))

    if who == "user":
        return next((d.name for d in meta.dimensions if end_user(d)), None)
    names = WHO_NAMES[who]
    return next((d.name for name in names for d in meta.dimensions if d.name == name and not end_user(d)), None)
