from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.get_analytics_meta_response_200_data_operators_item_name import (
    GetAnalyticsMetaResponse200DataOperatorsItemName,
)
from ..models.get_analytics_meta_response_200_data_operators_item_value_type import (
    GetAnalyticsMetaResponse200DataOperatorsItemValueType,
)

T = TypeVar("T", bound="GetAnalyticsMetaResponse200DataOperatorsItem")


@_attrs_define
class GetAnalyticsMetaResponse200DataOperatorsItem:
    """
    Attributes:
        name (GetAnalyticsMetaResponse200DataOperatorsItemName): Operator identifier used in filter definitions Example:
            eq.
        value_type (GetAnalyticsMetaResponse200DataOperatorsItemValueType): Whether the operator expects a single value
            or an array
    """

    name: GetAnalyticsMetaResponse200DataOperatorsItemName
    value_type: GetAnalyticsMetaResponse200DataOperatorsItemValueType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name.value

        value_type = self.value_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "value_type": value_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = GetAnalyticsMetaResponse200DataOperatorsItemName(d.pop("name"))

        value_type = GetAnalyticsMetaResponse200DataOperatorsItemValueType(
            d.pop("value_type")
        )

        get_analytics_meta_response_200_data_operators_item = cls(
            name=name,
            value_type=value_type,
        )

        get_analytics_meta_response_200_data_operators_item.additional_properties = d
        return get_analytics_meta_response_200_data_operators_item

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
        "name": (
            True,
            ("enum", ["eq", "neq", "in", "not_in", "gt", "gte", "lt", "lte"]),
        ),
        "value_type": (True, ("enum", ["scalar", "array"])),
    },
)
