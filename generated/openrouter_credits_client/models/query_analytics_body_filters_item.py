from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QueryAnalyticsBodyFiltersItem")


@_attrs_define
class QueryAnalyticsBodyFiltersItem:
    """
    Attributes:
        field (str): Dimension to filter on. Use the /meta endpoint for available dimensions. Example: model.
        operator (str): Filter operator Example: eq.
        value (float | list[float | str] | str): Filter value (scalar or array depending on operator). Several
            dimensions are enriched in responses (returned as human-readable labels), but filters must use the underlying
            ID: `api_key_id` — numeric ID (from generation metadata) or key hash (64-char hex from GET /api/v1/keys,
            resolved server-side); `user` — Clerk user ID (e.g. "user_abc123"), not the display name; `workspace` —
            workspace UUID, not the workspace name (filtering or grouping by the account default workspace also covers
            activity recorded before workspace resolution existed, which is attributed to that default workspace); `app` —
            numeric app ID, not the app title; `model` — permaslug (e.g. "openai/gpt-4o"), not the display name. Other
            dimensions (provider, origin, country, etc.) are not enriched and accept the value as returned.
        include_unset (bool | Unset): Include rows where the dimension has no value. Applies only to the `in` and
            `not_in` operators and dimensions that have an unset bucket.
    """

    field: str
    operator: str
    value: float | list[float | str] | str
    include_unset: bool | Unset = UNSET
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

        include_unset = self.include_unset

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "field": field,
                "operator": operator,
                "value": value,
            }
        )
        if include_unset is not UNSET:
            field_dict["include_unset"] = include_unset

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

        include_unset = d.pop("include_unset", UNSET)

        query_analytics_body_filters_item = cls(
            field=field,
            operator=operator,
            value=value,
            include_unset=include_unset,
        )

        query_analytics_body_filters_item.additional_properties = d
        return query_analytics_body_filters_item

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
        "include_unset": (False, ("boolean",)),
    },
)
