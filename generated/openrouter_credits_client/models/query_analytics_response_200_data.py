from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.query_analytics_response_200_data_data_item import (
        QueryAnalyticsResponse200DataDataItem,
    )
    from ..models.query_analytics_response_200_data_metadata import (
        QueryAnalyticsResponse200DataMetadata,
    )


T = TypeVar("T", bound="QueryAnalyticsResponse200Data")


@_attrs_define
class QueryAnalyticsResponse200Data:
    """
    Attributes:
        data (list[QueryAnalyticsResponse200DataDataItem]):
        metadata (QueryAnalyticsResponse200DataMetadata):
        cached_at (float | Unset):
        warnings (list[str] | Unset): Warnings about filter resolution issues (e.g. unresolvable api_key_id hashes). The
            query still runs normally; these inform the caller that some filter values could not be resolved.
    """

    data: list[QueryAnalyticsResponse200DataDataItem]
    metadata: QueryAnalyticsResponse200DataMetadata
    cached_at: float | Unset = UNSET
    warnings: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        metadata = self.metadata.to_dict()

        cached_at = self.cached_at

        warnings: list[str] | Unset = UNSET
        if not isinstance(self.warnings, Unset):
            warnings = self.warnings

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "metadata": metadata,
            }
        )
        if cached_at is not UNSET:
            field_dict["cachedAt"] = cached_at
        if warnings is not UNSET:
            field_dict["warnings"] = warnings

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.query_analytics_response_200_data_data_item import (
            QueryAnalyticsResponse200DataDataItem,
        )
        from ..models.query_analytics_response_200_data_metadata import (
            QueryAnalyticsResponse200DataMetadata,
        )

        d = dict(src_dict)
        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = QueryAnalyticsResponse200DataDataItem.from_dict(data_item_data)

            data.append(data_item)

        metadata = QueryAnalyticsResponse200DataMetadata.from_dict(d.pop("metadata"))

        cached_at = d.pop("cachedAt", UNSET)

        warnings = cast(list[str], d.pop("warnings", UNSET))

        query_analytics_response_200_data = cls(
            data=data,
            metadata=metadata,
            cached_at=cached_at,
            warnings=warnings,
        )

        query_analytics_response_200_data.additional_properties = d
        return query_analytics_response_200_data

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
        "data": (
            True,
            ("array", ("model", "query_analytics_response_200_data_data_item")),
        ),
        "metadata": (True, ("model", "query_analytics_response_200_data_metadata")),
        "cachedAt": (False, ("number",)),
        "warnings": (False, ("array", ("string",))),
    },
)
