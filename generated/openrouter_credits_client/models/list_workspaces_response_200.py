from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.workspace import Workspace


T = TypeVar("T", bound="ListWorkspacesResponse200")


@_attrs_define
class ListWorkspacesResponse200:
    """
    Example:
        {'data': [{'created_at': '2025-08-24T10:30:00Z', 'created_by': 'user_abc123', 'default_guardrail_id':
            '595d5849-7e86-51fd-a7c0-705c34e4afff', 'default_image_model': 'openai/dall-e-3', 'default_provider_sort':
            'price', 'default_text_model': 'openai/gpt-4o', 'description': 'Production environment workspace', 'id':
            '550e8400-e29b-41d4-a716-446655440000', 'include_byok_in_budgets': False, 'io_logging_api_key_ids': None,
            'io_logging_sampling_rate': 1, 'is_data_discount_logging_enabled': True, 'is_observability_broadcast_enabled':
            False, 'is_observability_io_logging_enabled': False, 'name': 'Production', 'slug': 'production', 'updated_at':
            '2025-08-24T15:45:00Z'}], 'total_count': 1}

    Attributes:
        data (list[Workspace]): List of workspaces
        total_count (int): Total number of workspaces Example: 5.
    """

    data: list[Workspace]
    total_count: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        total_count = self.total_count

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "total_count": total_count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.workspace import Workspace

        d = dict(src_dict)
        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = Workspace.from_dict(data_item_data)

            data.append(data_item)

        total_count = d.pop("total_count")

        list_workspaces_response_200 = cls(
            data=data,
            total_count=total_count,
        )

        list_workspaces_response_200.additional_properties = d
        return list_workspaces_response_200

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
        "data": (True, ("array", ("model", "workspace"))),
        "total_count": (True, ("integer",)),
    },
)
