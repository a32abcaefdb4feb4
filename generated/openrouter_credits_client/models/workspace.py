from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Workspace")


@_attrs_define
class Workspace:
    """
    Example:
        {'created_at': '2025-08-24T10:30:00Z', 'created_by': 'user_abc123', 'default_guardrail_id':
            '595d5849-7e86-51fd-a7c0-705c34e4afff', 'default_image_model': 'openai/dall-e-3', 'default_provider_sort':
            'price', 'default_text_model': 'openai/gpt-4o', 'description': 'Production environment workspace', 'id':
            '550e8400-e29b-41d4-a716-446655440000', 'include_byok_in_budgets': False, 'io_logging_api_key_ids': None,
            'io_logging_sampling_rate': 1, 'is_data_discount_logging_enabled': True, 'is_observability_broadcast_enabled':
            False, 'is_observability_io_logging_enabled': False, 'name': 'Production', 'slug': 'production', 'updated_at':
            '2025-08-24T15:45:00Z'}

    Attributes:
        created_at (str): ISO 8601 timestamp of when the workspace was created Example: 2025-08-24T10:30:00Z.
        created_by (None | str): User ID of the workspace creator Example: user_abc123.
        default_guardrail_id (UUID): Deterministic ID derived from the workspace ID. The default guardrail is
            materialized when its configuration is first written. Example: 595d5849-7e86-51fd-a7c0-705c34e4afff.
        default_image_model (None | str): Default image model for this workspace Example: openai/dall-e-3.
        default_provider_sort (None | str): Default provider sort preference (price, throughput, latency, exacto)
            Example: price.
        default_text_model (None | str): Default text model for this workspace Example: openai/gpt-4o.
        description (None | str): Description of the workspace Example: Production environment workspace.
        id (UUID): Unique identifier for the workspace Example: 550e8400-e29b-41d4-a716-446655440000.
        io_logging_api_key_ids (list[int] | None): Optional array of API key IDs to filter I/O logging. Null means all
            keys are logged.
        io_logging_sampling_rate (float): Sampling rate for I/O logging (0.0001-1). 1 means 100% of requests are logged.
            Example: 1.
        is_data_discount_logging_enabled (bool): Whether data discount logging is enabled for this workspace Example:
            True.
        is_observability_broadcast_enabled (bool): Whether broadcast is enabled for this workspace Example: False.
        is_observability_io_logging_enabled (bool): Whether private logging is enabled for this workspace Example:
            False.
        name (str): Name of the workspace Example: Production.
        slug (str): URL-friendly slug for the workspace Example: production.
        updated_at (None | str): ISO 8601 timestamp of when the workspace was last updated Example:
            2025-08-24T15:45:00Z.
        include_byok_in_budgets (bool | Unset): Whether BYOK (bring-your-own-key) spend counts toward this workspace's
            budgets. Set it via the workspace budget endpoints. Example: False.
    """

    created_at: str
    created_by: None | str
    default_guardrail_id: UUID
    default_image_model: None | str
    default_provider_sort: None | str
    default_text_model: None | str
    description: None | str
    id: UUID
    io_logging_api_key_ids: list[int] | None
    io_logging_sampling_rate: float
    is_data_discount_logging_enabled: bool
    is_observability_broadcast_enabled: bool
    is_observability_io_logging_enabled: bool
    name: str
    slug: str
    updated_at: None | str
    include_byok_in_budgets: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        created_by: None | str
        created_by = self.created_by

        default_guardrail_id = str(self.default_guardrail_id)

        default_image_model: None | str
        default_image_model = self.default_image_model

        default_provider_sort: None | str
        default_provider_sort = self.default_provider_sort

        default_text_model: None | str
        default_text_model = self.default_text_model

        description: None | str
        description = self.description

        id = str(self.id)

        io_logging_api_key_ids: list[int] | None
        if isinstance(self.io_logging_api_key_ids, list):
            io_logging_api_key_ids = self.io_logging_api_key_ids

        else:
            io_logging_api_key_ids = self.io_logging_api_key_ids

        io_logging_sampling_rate = self.io_logging_sampling_rate

        is_data_discount_logging_enabled = self.is_data_discount_logging_enabled

        is_observability_broadcast_enabled = self.is_observability_broadcast_enabled

        is_observability_io_logging_enabled = self.is_observability_io_logging_enabled

        name = self.name

        slug = self.slug

        updated_at: None | str
        updated_at = self.updated_at

        include_byok_in_budgets = self.include_byok_in_budgets

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "created_by": created_by,
                "default_guardrail_id": default_guardrail_id,
                "default_image_model": default_image_model,
                "default_provider_sort": default_provider_sort,
                "default_text_model": default_text_model,
                "description": description,
                "id": id,
                "io_logging_api_key_ids": io_logging_api_key_ids,
                "io_logging_sampling_rate": io_logging_sampling_rate,
                "is_data_discount_logging_enabled": is_data_discount_logging_enabled,
                "is_observability_broadcast_enabled": is_observability_broadcast_enabled,
                "is_observability_io_logging_enabled": is_observability_io_logging_enabled,
                "name": name,
                "slug": slug,
                "updated_at": updated_at,
            }
        )
        if include_byok_in_budgets is not UNSET:
            field_dict["include_byok_in_budgets"] = include_byok_in_budgets

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = d.pop("created_at")

        def _parse_created_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        created_by = _parse_created_by(d.pop("created_by"))

        default_guardrail_id = UUID(d.pop("default_guardrail_id"))

        def _parse_default_image_model(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        default_image_model = _parse_default_image_model(d.pop("default_image_model"))

        def _parse_default_provider_sort(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        default_provider_sort = _parse_default_provider_sort(
            d.pop("default_provider_sort")
        )

        def _parse_default_text_model(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        default_text_model = _parse_default_text_model(d.pop("default_text_model"))

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        id = UUID(d.pop("id"))

        def _parse_io_logging_api_key_ids(data: object) -> list[int] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                io_logging_api_key_ids_type_0 = cast(list[int], data)

                return io_logging_api_key_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None, data)

        io_logging_api_key_ids = _parse_io_logging_api_key_ids(
            d.pop("io_logging_api_key_ids")
        )

        io_logging_sampling_rate = d.pop("io_logging_sampling_rate")

        is_data_discount_logging_enabled = d.pop("is_data_discount_logging_enabled")

        is_observability_broadcast_enabled = d.pop("is_observability_broadcast_enabled")

        is_observability_io_logging_enabled = d.pop(
            "is_observability_io_logging_enabled"
        )

        name = d.pop("name")

        slug = d.pop("slug")

        def _parse_updated_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        updated_at = _parse_updated_at(d.pop("updated_at"))

        include_byok_in_budgets = d.pop("include_byok_in_budgets", UNSET)

        workspace = cls(
            created_at=created_at,
            created_by=created_by,
            default_guardrail_id=default_guardrail_id,
            default_image_model=default_image_model,
            default_provider_sort=default_provider_sort,
            default_text_model=default_text_model,
            description=description,
            id=id,
            io_logging_api_key_ids=io_logging_api_key_ids,
            io_logging_sampling_rate=io_logging_sampling_rate,
            is_data_discount_logging_enabled=is_data_discount_logging_enabled,
            is_observability_broadcast_enabled=is_observability_broadcast_enabled,
            is_observability_io_logging_enabled=is_observability_io_logging_enabled,
            name=name,
            slug=slug,
            updated_at=updated_at,
            include_byok_in_budgets=include_byok_in_budgets,
        )

        workspace.additional_properties = d
        return workspace

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
        "created_at": (True, ("string",)),
        "created_by": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("null",),
                ),
            ),
        ),
        "default_guardrail_id": (True, ("string",)),
        "default_image_model": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("null",),
                ),
            ),
        ),
        "default_provider_sort": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("null",),
                ),
            ),
        ),
        "default_text_model": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("null",),
                ),
            ),
        ),
        "description": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("null",),
                ),
            ),
        ),
        "id": (True, ("string",)),
        "io_logging_api_key_ids": (
            True,
            (
                "union",
                (
                    ("array", ("integer",)),
                    ("null",),
                ),
            ),
        ),
        "io_logging_sampling_rate": (True, ("number",)),
        "is_data_discount_logging_enabled": (True, ("boolean",)),
        "is_observability_broadcast_enabled": (True, ("boolean",)),
        "is_observability_io_logging_enabled": (True, ("boolean",)),
        "name": (True, ("string",)),
        "slug": (True, ("string",)),
        "updated_at": (
            True,
            (
                "union",
                (
                    ("string",),
                    ("null",),
                ),
            ),
        ),
        "include_byok_in_budgets": (False, ("boolean",)),
    },
)
