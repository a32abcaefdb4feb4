from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.query_analytics_body_classifier_filters_filters_item import (
        QueryAnalyticsBodyClassifierFiltersFiltersItem,
    )


T = TypeVar("T", bound="QueryAnalyticsBodyClassifierFilters")


@_attrs_define
class QueryAnalyticsBodyClassifierFilters:
    """Filter results to generations with specific classifier tag values. Can be combined with classifier_dimensions (must
    use the same classifier_id) or used independently with standard dimensions.

        Attributes:
            classifier_id (UUID): UUID of the classifier whose tags to filter by. Must match
                classifier_dimensions.classifier_id when both are specified. Example: 550e8400-e29b-41d4-a716-446655440000.
            filters (list[QueryAnalyticsBodyClassifierFiltersFiltersItem]):
    """

    classifier_id: UUID
    filters: list[QueryAnalyticsBodyClassifierFiltersFiltersItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        classifier_id = str(self.classifier_id)

        filters = []
        for filters_item_data in self.filters:
            filters_item = filters_item_data.to_dict()
            filters.append(filters_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "classifier_id": classifier_id,
                "filters": filters,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.query_analytics_body_classifier_filters_filters_item import (
            QueryAnalyticsBodyClassifierFiltersFiltersItem,
        )

        d = dict(src_dict)
        classifier_id = UUID(d.pop("classifier_id"))

        filters = []
        _filters = d.pop("filters")
        for filters_item_data in _filters:
            filters_item = QueryAnalyticsBodyClassifierFiltersFiltersItem.from_dict(
                filters_item_data
            )

            filters.append(filters_item)

        query_analytics_body_classifier_filters = cls(
            classifier_id=classifier_id,
            filters=filters,
        )

        query_analytics_body_classifier_filters.additional_properties = d
        return query_analytics_body_classifier_filters

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
        "classifier_id": (True, ("string",)),
        "filters": (
            True,
            (
                "array",
                ("model", "query_analytics_body_classifier_filters_filters_item"),
            ),
        ),
    },
)
