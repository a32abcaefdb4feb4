from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.update_keys_body_limit_reset_type_0 import UpdateKeysBodyLimitResetType0
from ..types import UNSET, Unset

T = TypeVar("T", bound="UpdateKeysBody")


@_attrs_define
class UpdateKeysBody:
    """
    Example:
        {'disabled': False, 'include_byok_in_limit': True, 'limit': 75, 'limit_reset': 'daily', 'name': 'Updated API Key
            Name'}

    Attributes:
        disabled (bool | Unset): Whether to disable the API key Example: False.
        include_byok_in_limit (bool | Unset): Whether to include BYOK usage in the limit Example: True.
        limit (float | None | Unset): New spending limit for the API key in USD Example: 75.
        limit_reset (None | Unset | UpdateKeysBodyLimitResetType0): New limit reset type for the API key (daily, weekly,
            monthly, or null for no reset). Resets happen automatically at midnight UTC, and weeks are Monday through
            Sunday. Example: daily.
        name (str | Unset): New name for the API key Example: Updated API Key Name.
    """

    disabled: bool | Unset = UNSET
    include_byok_in_limit: bool | Unset = UNSET
    limit: float | None | Unset = UNSET
    limit_reset: None | Unset | UpdateKeysBodyLimitResetType0 = UNSET
    name: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        disabled = self.disabled

        include_byok_in_limit = self.include_byok_in_limit

        limit: float | None | Unset
        if isinstance(self.limit, Unset):
            limit = UNSET
        else:
            limit = self.limit

        limit_reset: None | str | Unset
        if isinstance(self.limit_reset, Unset):
            limit_reset = UNSET
        elif isinstance(self.limit_reset, UpdateKeysBodyLimitResetType0):
            limit_reset = self.limit_reset.value
        else:
            limit_reset = self.limit_reset

        name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if disabled is not UNSET:
            field_dict["disabled"] = disabled
        if include_byok_in_limit is not UNSET:
            field_dict["include_byok_in_limit"] = include_byok_in_limit
        if limit is not UNSET:
            field_dict["limit"] = limit
        if limit_reset is not UNSET:
            field_dict["limit_reset"] = limit_reset
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        disabled = d.pop("disabled", UNSET)

        include_byok_in_limit = d.pop("include_byok_in_limit", UNSET)

        def _parse_limit(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        limit = _parse_limit(d.pop("limit", UNSET))

        def _parse_limit_reset(
            data: object,
        ) -> None | Unset | UpdateKeysBodyLimitResetType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                limit_reset_type_0 = UpdateKeysBodyLimitResetType0(data)

                return limit_reset_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpdateKeysBodyLimitResetType0, data)

        limit_reset = _parse_limit_reset(d.pop("limit_reset", UNSET))

        name = d.pop("name", UNSET)

        update_keys_body = cls(
            disabled=disabled,
            include_byok_in_limit=include_byok_in_limit,
            limit=limit,
            limit_reset=limit_reset,
            name=name,
        )

        update_keys_body.additional_properties = d
        return update_keys_body

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
        "disabled": (False, ("boolean",)),
        "include_byok_in_limit": (False, ("boolean",)),
        "limit": (
            False,
            (
                "union",
                (
                    ("number",),
                    ("null",),
                ),
            ),
        ),
        "limit_reset": (
            False,
            (
                "union",
                (
                    ("enum", ["daily", "weekly", "monthly"]),
                    ("null",),
                ),
            ),
        ),
        "name": (False, ("string",)),
    },
)
