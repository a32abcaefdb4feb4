from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QueryAnalyticsBodyClassifierFiltersFiltersItem")


@_attrs_define
class QueryAnalyticsBodyClassifierFiltersFiltersItem:
    """
    Attributes:
        field (str): Classifier dimension name to filter on (snake_case identifier, e.g. "department", "work_type").
            Example: department.
        operator (str): Filter operator. Only equality/set operators are supported (eq, neq, in, not_in) — ordered
            comparisons are not available because classification values are strings. Example: eq.
        value (float | list[float | str] | str): Filter value. Use a scalar (string or number) for eq/neq, or an array
            for in/not_in. Example: Engineering.
    """

    field: str
    operator: str
    value: float | list[float | str] | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        operator = self.operator

        value: float | list[float | str] | str
        if isinstance(self.value, list):
            value = []
            for value_type_2_item_data in self.value:
                value_type_2_item: float | str
                value_type_2_item = value_type_2_item_data
                value.append(value_type_2_item)

        else:
            value = self.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "field": field,
                "operator": operator,
                "value": value,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        field = d.pop("field")

        operator = d.pop("operator")

        def _parse_value(data: object) -> float | list[float | str] | str:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                value_type_2 = []
                _value_type_2 = data
                for value_type_2_item_data in _value_type_2:

                    def _parse_value_type_2_item(data: object) -> float | str:
                        return cast(float | str, data)

                    value_type_2_item = _parse_value_type_2_item(value_type_2_item_data)

                    value_type_2.append(value_type_2_item)

                return value_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(float | list[float | str] | str, data)

        value = _parse_value(d.pop("value"))

        query_analytics_body_classifier_filters_filters_item = cls(
            field=field,
            operator=operator,
            value=value,
        )

        query_analytics_body_classifier_filters_filters_item.additional_properties = d
        return query_analytics_body_classifier_filters_filters_item

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
        "field": (True, ("string",)),
        "operator": (True, ("string",)),
        "value": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("number",),
                    (
                        "array",
                        (
                            "union",
                            (
                                ("string",),
                                ("number",),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    },
)
