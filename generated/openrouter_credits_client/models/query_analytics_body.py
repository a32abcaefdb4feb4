from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.query_analytics_body_classifier_dimensions import (
        QueryAnalyticsBodyClassifierDimensions,
    )
    from ..models.query_analytics_body_classifier_filters import (
        QueryAnalyticsBodyClassifierFilters,
    )
    from ..models.query_analytics_body_filters_item import QueryAnalyticsBodyFiltersItem
    from ..models.query_analytics_body_order_by import QueryAnalyticsBodyOrderBy
    from ..models.query_analytics_body_time_range import QueryAnalyticsBodyTimeRange


T = TypeVar("T", bound="QueryAnalyticsBody")


@_attrs_define
class QueryAnalyticsBody:
    """
    Attributes:
        metrics (list[str]):
        classifier_dimensions (QueryAnalyticsBodyClassifierDimensions | Unset): Group results by custom classifier tags,
            breaking down metrics by the specified dimension values. Requires an active classifier on the workspace.
        classifier_filters (QueryAnalyticsBodyClassifierFilters | Unset): Filter results to generations with specific
            classifier tag values. Can be combined with classifier_dimensions (must use the same classifier_id) or used
            independently with standard dimensions.
        dimensions (list[str] | Unset):
        filters (list[QueryAnalyticsBodyFiltersItem] | Unset):
        granularity (str | Unset): Time granularity Example: day.
        group_limit (int | Unset): Maximum rows per distinct combination of dimensions. When omitted on time-series
            queries (granularity + dimensions), auto-computed to avoid truncating time windows. Explicit values override the
            default and may truncate time buckets if set lower than the number of buckets in the range. Ignored when no
            dimensions are specified. Example: 100.
        limit (int | Unset): Maximum total rows returned. Defaults to 1000. On time-series queries with dimensions and
            no explicit group_limit, the server may raise this to accommodate the expected number of unique time-
            bucket/dimension combinations.
        order_by (QueryAnalyticsBodyOrderBy | Unset):
        time_range (QueryAnalyticsBodyTimeRange | Unset):
    """

    metrics: list[str]
    classifier_dimensions: QueryAnalyticsBodyClassifierDimensions | Unset = UNSET
    classifier_filters: QueryAnalyticsBodyClassifierFilters | Unset = UNSET
    dimensions: list[str] | Unset = UNSET
    filters: list[QueryAnalyticsBodyFiltersItem] | Unset = UNSET
    granularity: str | Unset = UNSET
    group_limit: int | Unset = UNSET
    limit: int | Unset = UNSET
    order_by: QueryAnalyticsBodyOrderBy | Unset = UNSET
    time_range: QueryAnalyticsBodyTimeRange | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        metrics = self.metrics

        classifier_dimensions: dict[str, Any] | Unset = UNSET
        if not isinstance(self.classifier_dimensions, Unset):
            classifier_dimensions = self.classifier_dimensions.to_dict()

        classifier_filters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.classifier_filters, Unset):
            classifier_filters = self.classifier_filters.to_dict()

        dimensions: list[str] | Unset = UNSET
        if not isinstance(self.dimensions, Unset):
            dimensions = self.dimensions

        filters: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.filters, Unset):
            filters = []
            for filters_item_data in self.filters:
                filters_item = filters_item_data.to_dict()
                filters.append(filters_item)

        granularity = self.granularity

        group_limit = self.group_limit

        limit = self.limit

        order_by: dict[str, Any] | Unset = UNSET
        if not isinstance(self.order_by, Unset):
            order_by = self.order_by.to_dict()

        time_range: dict[str, Any] | Unset = UNSET
        if not isinstance(self.time_range, Unset):
            time_range = self.time_range.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "metrics": metrics,
            }
        )
        if classifier_dimensions is not UNSET:
            field_dict["classifier_dimensions"] = classifier_dimensions
        if classifier_filters is not UNSET:
            field_dict["classifier_filters"] = classifier_filters
        if dimensions is not UNSET:
            field_dict["dimensions"] = dimensions
        if filters is not UNSET:
            field_dict["filters"] = filters
        if granularity is not UNSET:
            field_dict["granularity"] = granularity
        if group_limit is not UNSET:
            field_dict["group_limit"] = group_limit
        if limit is not UNSET:
            field_dict["limit"] = limit
        if order_by is not UNSET:
            field_dict["order_by"] = order_by
        if time_range is not UNSET:
            field_dict["time_range"] = time_range

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.query_analytics_body_classifier_dimensions import (
            QueryAnalyticsBodyClassifierDimensions,
        )
        from ..models.query_analytics_body_classifier_filters import (
            QueryAnalyticsBodyClassifierFilters,
        )
        from ..models.query_analytics_body_filters_item import (
            QueryAnalyticsBodyFiltersItem,
        )
        from ..models.query_analytics_body_order_by import QueryAnalyticsBodyOrderBy
        from ..models.query_analytics_body_time_range import QueryAnalyticsBodyTimeRange

        d = dict(src_dict)
        metrics = cast(list[str], d.pop("metrics"))

        _classifier_dimensions = d.pop("classifier_dimensions", UNSET)
        classifier_dimensions: QueryAnalyticsBodyClassifierDimensions | Unset
        if isinstance(_classifier_dimensions, Unset):
            classifier_dimensions = UNSET
        else:
            classifier_dimensions = QueryAnalyticsBodyClassifierDimensions.from_dict(
                _classifier_dimensions
            )

        _classifier_filters = d.pop("classifier_filters", UNSET)
        classifier_filters: QueryAnalyticsBodyClassifierFilters | Unset
        if isinstance(_classifier_filters, Unset):
            classifier_filters = UNSET
        else:
            classifier_filters = QueryAnalyticsBodyClassifierFilters.from_dict(
                _classifier_filters
            )

        dimensions = cast(list[str], d.pop("dimensions", UNSET))

        _filters = d.pop("filters", UNSET)
        filters: list[QueryAnalyticsBodyFiltersItem] | Unset = UNSET
        if _filters is not UNSET:
            filters = []
            for filters_item_data in _filters:
                filters_item = QueryAnalyticsBodyFiltersItem.from_dict(
                    filters_item_data
                )

                filters.append(filters_item)

        granularity = d.pop("granularity", UNSET)

        group_limit = d.pop("group_limit", UNSET)

        limit = d.pop("limit", UNSET)

        _order_by = d.pop("order_by", UNSET)
        order_by: QueryAnalyticsBodyOrderBy | Unset
        if isinstance(_order_by, Unset):
            order_by = UNSET
        else:
            order_by = QueryAnalyticsBodyOrderBy.from_dict(_order_by)

        _time_range = d.pop("time_range", UNSET)
        time_range: QueryAnalyticsBodyTimeRange | Unset
        if isinstance(_time_range, Unset):
            time_range = UNSET
        else:
            time_range = QueryAnalyticsBodyTimeRange.from_dict(_time_range)

        query_analytics_body = cls(
            metrics=metrics,
            classifier_dimensions=classifier_dimensions,
            classifier_filters=classifier_filters,
            dimensions=dimensions,
            filters=filters,
            granularity=granularity,
            group_limit=group_limit,
            limit=limit,
            order_by=order_by,
            time_range=time_range,
        )

        query_analytics_body.additional_properties = d
        return query_analytics_body

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties


SHAPE = (
    "object",
    {
        "metrics": (True, ("array", ("string",))),
        "classifier_dimensions": (
            False,
            ("model", "query_analytics_body_classifier_dimensions"),
        ),
        "classifier_filters": (
            False,
            ("model", "query_analytics_body_classifier_filters"),
        ),
        "dimensions": (False, ("array", ("string",))),
        "filters": (False, ("array", ("model", "query_analytics_body_filters_item"))),
        "granularity": (False, ("string",)),
        "group_limit": (False, ("integer",)),
        "limit": (False, ("integer",)),
        "order_by": (False, ("model", "query_analytics_body_order_by")),
        "time_range": (False, ("model", "query_analytics_body_time_range")),
    },
)
