from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.query_analytics_body_order_by_direction import (
    QueryAnalyticsBodyOrderByDirection,
)

T = TypeVar("T", bound="QueryAnalyticsBodyOrderBy")


@_attrs_define
class QueryAnalyticsBodyOrderBy:
    """
    Attributes:
        direction (QueryAnalyticsBodyOrderByDirection):
        field (str): Field to order by: a metric included in `metrics` (or "request_count", which may be ordered by
            without being requested), a requested dimension, or "date". Example: request_count.
    """

    direction: QueryAnalyticsBodyOrderByDirection
    field: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        direction = self.direction.value

        field = self.field

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "direction": direction,
                "field": field,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        direction = QueryAnalyticsBodyOrderByDirection(d.pop("direction"))

        field = d.pop("field")

        query_analytics_body_order_by = cls(
            direction=direction,
            field=field,
        )

        query_analytics_body_order_by.additional_properties = d
        return query_analytics_body_order_by

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
        "direction": (True, ("enum", ["asc", "desc"])),
        "field": (True, ("string",)),
    },
)
