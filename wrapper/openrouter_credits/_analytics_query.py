"""A query of OpenRouter's analytics API (``POST /analytics/query``, beta): ``AnalyticsQuery``, each
argument checked before any I/O (a ``ConfigurationError`` naming it), and the request's body as the
API document spells it. Its answer is read in ``_analytics`` (``read_result``).

At most 2 dimensions, 20 filters and 10,000 rows a query; dates are 00:00 UTC, the end is not included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs

from . import _defaults
from ._analytics import MAX_QUOTED
from ._exceptions import ConfigurationError, term
from ._windows import utc

if TYPE_CHECKING:
    from ._analytics import AnalyticsResult

__all__ = ["DEFAULT_QUERY_LIMIT", "MAX_DIMENSIONS", "MAX_FILTERS", "MAX_QUERY_ROWS", "AnalyticsQuery"]

#: A query answers at most this many rows (``limit``; OpenRouter's default is 1,000).
MAX_QUERY_ROWS: Final = 10_000
DEFAULT_QUERY_LIMIT: Final = _defaults.DEFAULT_QUERY_LIMIT
MAX_DIMENSIONS: Final = 2
MAX_FILTERS: Final = 20


def _instant(value: object, name: str) -> dt.datetime:
    """A date (midnight UTC) or a datetime (naive: UTC) as an aware UTC time."""
    if isinstance(value, dt.datetime):
        return utc(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    raise ConfigurationError(f"{term(name)} must be a datetime.date or datetime.datetime, not {value!r:.{MAX_QUOTED}}.")


def _names(value: object, name: str, *, at_least: int, at_most: int | None) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigurationError(
            f"{term(name)} must be a list of names (as GET /analytics/meta lists them), not {value!r:.{MAX_QUOTED}}."
        )
    names = tuple(value)
    if not all(isinstance(item, str) and item.strip() for item in names):
        raise ConfigurationError(f"{term(name)} must hold names, non-empty strings: {names!r:.{MAX_QUOTED}}.")
    if len(names) < at_least:
        raise ConfigurationError(f"{term(name)} needs at least one name, such as total_usage.")
    if at_most is not None and len(names) > at_most:
        raise ConfigurationError(f"{term(name)} may name at most {at_most}, not {len(names)}.")
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{term(name)} names one twice: {names!r:.{MAX_QUOTED}}.")
    return names


def _filter_value(value: object) -> bool:
    scalar = isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool))
    return scalar


def _filters(value: object) -> tuple[Mapping[str, Any], ...]:
    if value is None:
        return ()
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ConfigurationError(
            f"{term('filters')} must be a list of filters such as "
            '{"field": "workspace", "operator": "eq", "value": "<workspace UUID>"}.'
        )
    filters = []
    for index, item in enumerate(value):
        where = f"{term('filters')}[{index}]"
        if not isinstance(item, Mapping) or not {"field", "operator", "value"} <= set(item):
            raise ConfigurationError(f"{where} needs field, operator and value.")
        unknown = sorted(set(item) - {"field", "operator", "value", "include_unset"})
        if unknown:
            raise ConfigurationError(f"{where} has {unknown[0]!r}: a filter has field, operator, value, include_unset.")
        if not isinstance(item["field"], str) or not isinstance(item["operator"], str):
            raise ConfigurationError(f"{where}: field and operator are names (strings).")
        given = item["value"]
        values = list(given) if isinstance(given, list | tuple) else [given]
        if not values or not all(_filter_value(v) for v in values):
            raise ConfigurationError(f"{where}: value is a string or a number, or a list of them.")
        entry: dict[str, Any] = {
            "field": item["field"],
            "operator": item["operator"],
            "value": list(given) if isinstance(given, list | tuple) else given,
        }
        if "include_unset" in item:
            if not isinstance(item["include_unset"], bool):
                raise ConfigurationError(f"{where}: include_unset is True or False.")
            entry["include_unset"] = item["include_unset"]
        filters.append(MappingProxyType(entry))
    if len(filters) > MAX_FILTERS:
        raise ConfigurationError(f"{term('filters')} may hold at most {MAX_FILTERS} filters, not {len(filters)}.")
    return tuple(filters)


@attrs.frozen
class AnalyticsQuery:
    """A query, checked before any I/O (``of``): what ``query_analytics()`` sends."""

    metrics: tuple[str, ...]
    dimensions: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    granularity: str | None
    filters: tuple[Mapping[str, Any], ...]
    limit: int

    @classmethod
    def of(
        cls,
        *,
        metrics: Iterable[str],
        dimensions: Iterable[str] = (),
        start: dt.date | dt.datetime,
        end: dt.date | dt.datetime,
        granularity: str | None = "day",
        filters: Iterable[Mapping[str, Any]] | None = None,
        limit: int = DEFAULT_QUERY_LIMIT,
    ) -> AnalyticsQuery:
        """The query, or a ``ConfigurationError`` naming the argument that cannot be one."""
        begin, finish = _instant(start, "start"), _instant(end, "end")
        if begin >= finish:
            raise ConfigurationError(f"{term('start')} must be before {term('end')} (the end is not included).")
        if granularity is not None and (not isinstance(granularity, str) or not granularity.strip()):
            raise ConfigurationError(f"{term('granularity')} is a name such as day, or None for totals.")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_QUERY_ROWS:
            raise ConfigurationError(f"{term('limit')} is a whole number from 1 to {MAX_QUERY_ROWS:,}, not {limit!r}.")
        return cls(
            _names(metrics, "metrics", at_least=1, at_most=None),
            _names(dimensions, "dimensions", at_least=0, at_most=MAX_DIMENSIONS),
            begin,
            finish,
            granularity,
            _filters(filters),
            limit,
        )

    def request(self) -> dict[str, Any]:
        """The request's JSON body, as the API document spells it."""
        body: dict[str, Any] = {
            "metrics": list(self.metrics),
            "time_range": {"start": _written(self.start), "end": _written(self.end)},
            "limit": self.limit,
        }
        if self.dimensions:
            body["dimensions"] = list(self.dimensions)
        if self.granularity is not None:
            body["granularity"] = self.granularity
        if self.filters:
            body["filters"] = [dict(item) for item in self.filters]
        return body

    def body(self) -> Any:
        """The generated ``QueryAnalyticsBody`` the endpoint sends (the generated package must have
        ``POST /analytics/query``)."""
        from openrouter_credits_client.models.query_analytics_body import QueryAnalyticsBody

        return QueryAnalyticsBody.from_dict(self.request())

    def result(self, raw: Any) -> AnalyticsResult:
        """The answer read for this query (``_analytics.read_result``); raises ``UnreadableRow`` naming
        the field that is not a count, an amount, a label or a date."""
        from ._analytics import read_result

        return read_result(self, raw)


def _written(moment: dt.datetime) -> str:
    """An aware time as the API's date-time: ``2026-05-01T00:00:00Z``."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
