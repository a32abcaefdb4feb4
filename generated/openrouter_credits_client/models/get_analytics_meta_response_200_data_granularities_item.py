from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.get_analytics_meta_response_200_data_granularities_item_name import (
    GetAnalyticsMetaResponse200DataGranularitiesItemName,
)

T = TypeVar("T", bound="GetAnalyticsMetaResponse200DataGranularitiesItem")


@_attrs_define
class GetAnalyticsMetaResponse200DataGranularitiesItem:
    """
    Attributes:
        display_label (str): Human-readable label Example: Day.
        name (GetAnalyticsMetaResponse200DataGranularitiesItemName): Granularity identifier Example: day.
    """

    display_label: str
    name: GetAnalyticsMetaResponse200DataGranularitiesItemName
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        display_label = self.display_label

        name = self.name.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "display_label": display_label,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        display_label = d.pop("display_label")

        name = GetAnalyticsMetaResponse200DataGranularitiesItemName(d.pop("name"))

        get_analytics_meta_response_200_data_granularities_item = cls(
            display_label=display_label,
            name=name,
        )

        get_analytics_meta_response_200_data_granularities_item.additional_properties = d
        return get_analytics_meta_response_200_data_granularities_item

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
        "display_label": (True, ("string",)),
        "name": (True, ("enum", ["minute", "hour", "day", "week", "month"])),
    },
)
