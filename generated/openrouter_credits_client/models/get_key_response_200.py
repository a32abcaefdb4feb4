from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.get_key_response_200_data import GetKeyResponse200Data


T = TypeVar("T", bound="GetKeyResponse200")


@_attrs_define
class GetKeyResponse200:
    """
    Example:
        {'data': {'byok_usage': 17.38, 'byok_usage_daily': 17.38, 'byok_usage_monthly': 17.38, 'byok_usage_weekly':
            17.38, 'created_at': '2025-08-24T10:30:00Z', 'creator_user_id': 'user_2dHFtVWx2n56w6HkM0000000000', 'disabled':
            False, 'expires_at': '2027-12-31T23:59:59Z', 'hash':
            'f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943', 'include_byok_in_limit': False, 'label':
            'Production API Key', 'limit': 100, 'limit_remaining': 74.5, 'limit_reset': 'monthly', 'name': 'My Production
            Key', 'updated_at': '2025-08-24T15:45:00Z', 'usage': 25.5, 'usage_daily': 25.5, 'usage_monthly': 25.5,
            'usage_weekly': 25.5, 'workspace_id': '0df9e665-d932-5740-b2c7-b52af166bc11'}}

    Attributes:
        data (GetKeyResponse200Data): The API key information Example: {'byok_usage': 17.38, 'byok_usage_daily': 17.38,
            'byok_usage_monthly': 17.38, 'byok_usage_weekly': 17.38, 'created_at': '2025-08-24T10:30:00Z',
            'creator_user_id': 'user_2dHFtVWx2n56w6HkM0000000000', 'disabled': False, 'expires_at': '2027-12-31T23:59:59Z',
            'hash': 'f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943', 'include_byok_in_limit': False,
            'label': 'sk-or-v1-0e6...1c96', 'limit': 100, 'limit_remaining': 74.5, 'limit_reset': 'monthly', 'name': 'My
            Production Key', 'updated_at': '2025-08-24T15:45:00Z', 'usage': 25.5, 'usage_daily': 25.5, 'usage_monthly':
            25.5, 'usage_weekly': 25.5, 'workspace_id': '0df9e665-d932-5740-b2c7-b52af166bc11'}.
    """

    data: GetKeyResponse200Data
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.get_key_response_200_data import GetKeyResponse200Data

        d = dict(src_dict)
        data = GetKeyResponse200Data.from_dict(d.pop("data"))

        get_key_response_200 = cls(
            data=data,
        )

        get_key_response_200.additional_properties = d
        return get_key_response_200

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
        "data": (True, ("model", "get_key_response_200_data")),
    },
)
