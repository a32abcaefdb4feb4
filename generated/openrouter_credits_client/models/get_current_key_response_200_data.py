from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.get_current_key_response_200_data_rate_limit import (
        GetCurrentKeyResponse200DataRateLimit,
    )


T = TypeVar("T", bound="GetCurrentKeyResponse200Data")


@_attrs_define
class GetCurrentKeyResponse200Data:
    """Current API key information

    Example:
        {'byok_usage': 17.38, 'byok_usage_daily': 17.38, 'byok_usage_monthly': 17.38, 'byok_usage_weekly': 17.38,
            'creator_user_id': 'user_2dHFtVWx2n56w6HkM0000000000', 'expires_at': '2027-12-31T23:59:59Z',
            'include_byok_in_limit': False, 'is_free_tier': False, 'is_management_key': False, 'is_provisioning_key': False,
            'label': 'sk-or-v1-au7...890', 'limit': 100, 'limit_remaining': 74.5, 'limit_reset': 'monthly', 'rate_limit':
            {'interval': '1h', 'note': 'This field is deprecated and safe to ignore.', 'requests': 1000}, 'usage': 25.5,
            'usage_daily': 25.5, 'usage_monthly': 25.5, 'usage_weekly': 25.5}

    Attributes:
        byok_usage (float): Total external BYOK usage (in USD) for the API key Example: 17.38.
        byok_usage_daily (float): External BYOK usage (in USD) for the current UTC day Example: 17.38.
        byok_usage_monthly (float): External BYOK usage (in USD) for current UTC month Example: 17.38.
        byok_usage_weekly (float): External BYOK usage (in USD) for the current UTC week (Monday-Sunday) Example: 17.38.
        creator_user_id (None | str): The user ID of the key creator. For organization-owned keys, this is the member
            who created the key. For individual users, this is the user's own ID. Example: user_2dHFtVWx2n56w6HkM0000000000.
        include_byok_in_limit (bool): Whether to include external BYOK usage in the credit limit Example: False.
        is_free_tier (bool): Whether this is a free tier API key Example: False.
        is_management_key (bool): Whether this is a management key Example: False.
        label (str): Human-readable label for the API key Example: sk-or-v1-0e6...1c96.
        limit (float | None): Spending limit for the API key in USD Example: 100.
        limit_remaining (float | None): Remaining spending limit in USD Example: 74.5.
        limit_reset (None | str): Type of limit reset for the API key Example: monthly.
        usage (float): Total OpenRouter credit usage (in USD) for the API key Example: 25.5.
        usage_daily (float): OpenRouter credit usage (in USD) for the current UTC day Example: 25.5.
        usage_monthly (float): OpenRouter credit usage (in USD) for the current UTC month Example: 25.5.
        usage_weekly (float): OpenRouter credit usage (in USD) for the current UTC week (Monday-Sunday) Example: 25.5.
        expires_at (datetime.datetime | None | Unset): ISO 8601 UTC timestamp when the API key expires, or null if no
            expiration Example: 2027-12-31T23:59:59Z.
        is_provisioning_key (bool | Unset): Whether this is a management key Example: False.
        rate_limit (GetCurrentKeyResponse200DataRateLimit | Unset): Legacy rate limit information about a key. Will
            always return -1. Example: {'interval': '1h', 'note': 'This field is deprecated and safe to ignore.',
            'requests': 1000}.
    """

    byok_usage: float
    byok_usage_daily: float
    byok_usage_monthly: float
    byok_usage_weekly: float
    creator_user_id: None | str
    include_byok_in_limit: bool
    is_free_tier: bool
    is_management_key: bool
    label: str
    limit: float | None
    limit_remaining: float | None
    limit_reset: None | str
    usage: float
    usage_daily: float
    usage_monthly: float
    usage_weekly: float
    expires_at: datetime.datetime | None | Unset = UNSET
    is_provisioning_key: bool | Unset = UNSET
    rate_limit: GetCurrentKeyResponse200DataRateLimit | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        byok_usage = self.byok_usage

        byok_usage_daily = self.byok_usage_daily

        byok_usage_monthly = self.byok_usage_monthly

        byok_usage_weekly = self.byok_usage_weekly

        creator_user_id: None | str
        creator_user_id = self.creator_user_id

        include_byok_in_limit = self.include_byok_in_limit

        is_free_tier = self.is_free_tier

        is_management_key = self.is_management_key

        label = self.label

        limit: float | None
        limit = self.limit

        limit_remaining: float | None
        limit_remaining = self.limit_remaining

        limit_reset: None | str
        limit_reset = self.limit_reset

        usage = self.usage

        usage_daily = self.usage_daily

        usage_monthly = self.usage_monthly

        usage_weekly = self.usage_weekly

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        is_provisioning_key = self.is_provisioning_key

        rate_limit: dict[str, Any] | Unset = UNSET
        if not isinstance(self.rate_limit, Unset):
            rate_limit = self.rate_limit.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "byok_usage": byok_usage,
                "byok_usage_daily": byok_usage_daily,
                "byok_usage_monthly": byok_usage_monthly,
                "byok_usage_weekly": byok_usage_weekly,
                "creator_user_id": creator_user_id,
                "include_byok_in_limit": include_byok_in_limit,
                "is_free_tier": is_free_tier,
                "is_management_key": is_management_key,
                "label": label,
                "limit": limit,
                "limit_remaining": limit_remaining,
                "limit_reset": limit_reset,
                "usage": usage,
                "usage_daily": usage_daily,
                "usage_monthly": usage_monthly,
                "usage_weekly": usage_weekly,
            }
        )
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if is_provisioning_key is not UNSET:
            field_dict["is_provisioning_key"] = is_provisioning_key
        if rate_limit is not UNSET:
            field_dict["rate_limit"] = rate_limit

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.get_current_key_response_200_data_rate_limit import (
            GetCurrentKeyResponse200DataRateLimit,
        )

        d = dict(src_dict)
        byok_usage = d.pop("byok_usage")

        byok_usage_daily = d.pop("byok_usage_daily")

        byok_usage_monthly = d.pop("byok_usage_monthly")

        byok_usage_weekly = d.pop("byok_usage_weekly")

        def _parse_creator_user_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        creator_user_id = _parse_creator_user_id(d.pop("creator_user_id"))

        include_byok_in_limit = d.pop("include_byok_in_limit")

        is_free_tier = d.pop("is_free_tier")

        is_management_key = d.pop("is_management_key")

        label = d.pop("label")

        def _parse_limit(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        limit = _parse_limit(d.pop("limit"))

        def _parse_limit_remaining(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        limit_remaining = _parse_limit_remaining(d.pop("limit_remaining"))

        def _parse_limit_reset(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        limit_reset = _parse_limit_reset(d.pop("limit_reset"))

        usage = d.pop("usage")

        usage_daily = d.pop("usage_daily")

        usage_monthly = d.pop("usage_monthly")

        usage_weekly = d.pop("usage_weekly")

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        is_provisioning_key = d.pop("is_provisioning_key", UNSET)

        _rate_limit = d.pop("rate_limit", UNSET)
        rate_limit: GetCurrentKeyResponse200DataRateLimit | Unset
        if isinstance(_rate_limit, Unset):
            rate_limit = UNSET
        else:
            rate_limit = GetCurrentKeyResponse200DataRateLimit.from_dict(_rate_limit)

        get_current_key_response_200_data = cls(
            byok_usage=byok_usage,
            byok_usage_daily=byok_usage_daily,
            byok_usage_monthly=byok_usage_monthly,
            byok_usage_weekly=byok_usage_weekly,
            creator_user_id=creator_user_id,
            include_byok_in_limit=include_byok_in_limit,
            is_free_tier=is_free_tier,
            is_management_key=is_management_key,
            label=label,
            limit=limit,
            limit_remaining=limit_remaining,
            limit_reset=limit_reset,
            usage=usage,
            usage_daily=usage_daily,
            usage_monthly=usage_monthly,
            usage_weekly=usage_weekly,
            expires_at=expires_at,
            is_provisioning_key=is_provisioning_key,
            rate_limit=rate_limit,
        )

        get_current_key_response_200_data.additional_properties = d
        return get_current_key_response_200_data

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
        "byok_usage": (True, ("number",)),
        "byok_usage_daily": (True, ("number",)),
        "byok_usage_monthly": (True, ("number",)),
        "byok_usage_weekly": (True, ("number",)),
        "creator_user_id": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("null",),
                ),
            ),
        ),
        "include_byok_in_limit": (True, ("boolean",)),
        "is_free_tier": (True, ("boolean",)),
        "is_management_key": (True, ("boolean",)),
        "label": (True, ("string",)),
        "limit": (
            True,
            (
                "union",
                (
                    ("number",),
                    ("null",),
                ),
            ),
        ),
        "limit_remaining": (
            True,
            (
                "union",
                (
                    ("number",),
                    ("null",),
                ),
            ),
        ),
        "limit_reset": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("null",),
                ),
            ),
        ),
        "usage": (True, ("number",)),
        "usage_daily": (True, ("number",)),
        "usage_monthly": (True, ("number",)),
        "usage_weekly": (True, ("number",)),
        "expires_at": (
            False,
            (
                "union",
                (
                    ("date-time",),
                    ("null",),
                ),
            ),
        ),
        "is_provisioning_key": (False, ("boolean",)),
        "rate_limit": (
            False,
            ("model", "get_current_key_response_200_data_rate_limit"),
        ),
    },
)
