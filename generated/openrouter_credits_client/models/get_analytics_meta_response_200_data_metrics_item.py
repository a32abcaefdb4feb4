from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.get_analytics_meta_response_200_data_metrics_item_display_format import (
    GetAnalyticsMetaResponse200DataMetricsItemDisplayFormat,
)

T = TypeVar("T", bound="GetAnalyticsMetaResponse200DataMetricsItem")


@_attrs_define
class GetAnalyticsMetaResponse200DataMetricsItem:
    """
    Attributes:
        display_format (GetAnalyticsMetaResponse200DataMetricsItemDisplayFormat): How this metric value should be
            formatted for display (e.g. percent → multiply by 100 and append %, currency → prefix with $) Example: number.
        display_label (str): Human-readable label Example: Request Count.
        is_rate (bool): Whether this metric is a rate/ratio (averaged, not summed)
        name (str): Metric identifier used in query requests Example: request_count.
    """

    display_format: GetAnalyticsMetaResponse200DataMetricsItemDisplayFormat
    display_label: str
    is_rate: bool
    name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        display_format = self.display_format.value

        display_label = self.display_label

        is_rate = self.is_rate

        name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "display_format": display_format,
                "display_label": display_label,
                "is_rate": is_rate,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        display_format = GetAnalyticsMetaResponse200DataMetricsItemDisplayFormat(
            d.pop("display_format")
        )

        display_label = d.pop("display_label")

        is_rate = d.pop("is_rate")

        name = d.pop("name")

        get_analytics_meta_response_200_data_metrics_item = cls(
            display_format=display_format,
            display_label=display_label,
            is_rate=is_rate,
            name=name,
        )

        get_analytics_meta_response_200_data_metrics_item.additional_properties = d
        return get_analytics_meta_response_200_data_metrics_item

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
        "display_format": (
            True,
            ("enum", ["number", "currency", "percent", "latency", "throughput"]),
        ),
        "display_label": (True, ("string",)),
        "is_rate": (True, ("boolean",)),
        "name": (True, ("string",)),
    },
)
