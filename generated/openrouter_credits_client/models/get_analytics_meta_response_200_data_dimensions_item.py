from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="GetAnalyticsMetaResponse200DataDimensionsItem")


@_attrs_define
class GetAnalyticsMetaResponse200DataDimensionsItem:
    """
    Attributes:
        display_label (str): Human-readable label Example: Model.
        name (str): Dimension identifier used in query requests Example: model.
    """

    display_label: str
    name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        display_label = self.display_label

        name = self.name

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

        name = d.pop("name")

        get_analytics_meta_response_200_data_dimensions_item = cls(
            display_label=display_label,
            name=name,
        )

        get_analytics_meta_response_200_data_dimensions_item.additional_properties = d
        return get_analytics_meta_response_200_data_dimensions_item

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
        "name": (True, ("string",)),
    },
)
