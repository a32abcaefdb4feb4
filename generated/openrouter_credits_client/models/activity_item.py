from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ActivityItem")


@_attrs_define
class ActivityItem:
    """
    Example:
        {'byok_usage_inference': 0.012, 'completion_tokens': 125, 'date': '2025-08-24', 'endpoint_id':
            '550e8400-e29b-41d4-a716-446655440000', 'model': 'openai/gpt-4.1', 'model_permaslug':
            'openai/gpt-4.1-2025-04-14', 'prompt_tokens': 50, 'provider_name': 'OpenAI', 'reasoning_tokens': 25, 'requests':
            5, 'usage': 0.015}

    Attributes:
        byok_usage_inference (float): BYOK inference cost in USD (external credits spent) Example: 0.012.
        completion_tokens (int): Total completion tokens generated Example: 125.
        date (str): Date of the activity (YYYY-MM-DD format) Example: 2025-08-24.
        endpoint_id (str): Unique identifier for the endpoint Example: 550e8400-e29b-41d4-a716-446655440000.
        model (str): Model slug (e.g., "openai/gpt-4.1") Example: openai/gpt-4.1.
        model_permaslug (str): Model permaslug (e.g., "openai/gpt-4.1-2025-04-14") Example: openai/gpt-4.1-2025-04-14.
        prompt_tokens (int): Total prompt tokens used Example: 50.
        provider_name (str): Name of the provider serving this endpoint Example: OpenAI.
        reasoning_tokens (int): Total reasoning tokens used Example: 25.
        requests (int): Number of requests made Example: 5.
        usage (float): Total cost in USD (OpenRouter credits spent) Example: 0.015.
        workspace_id (str | Unset): ID of the workspace this activity is attributed to. Only present when
            `group_by=workspace` is passed; the response is then split per workspace. Activity recorded before workspace
            resolution existed is attributed to the account default workspace. Example:
            550e8400-e29b-41d4-a716-446655440000.
    """

    byok_usage_inference: float
    completion_tokens: int
    date: str
    endpoint_id: str
    model: str
    model_permaslug: str
    prompt_tokens: int
    provider_name: str
    reasoning_tokens: int
    requests: int
    usage: float
    workspace_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        byok_usage_inference = self.byok_usage_inference

        completion_tokens = self.completion_tokens

        date = self.date

        endpoint_id = self.endpoint_id

        model = self.model

        model_permaslug = self.model_permaslug

        prompt_tokens = self.prompt_tokens

        provider_name = self.provider_name

        reasoning_tokens = self.reasoning_tokens

        requests = self.requests

        usage = self.usage

        workspace_id = self.workspace_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "byok_usage_inference": byok_usage_inference,
                "completion_tokens": completion_tokens,
                "date": date,
                "endpoint_id": endpoint_id,
                "model": model,
                "model_permaslug": model_permaslug,
                "prompt_tokens": prompt_tokens,
                "provider_name": provider_name,
                "reasoning_tokens": reasoning_tokens,
                "requests": requests,
                "usage": usage,
            }
        )
        if workspace_id is not UNSET:
            field_dict["workspace_id"] = workspace_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        byok_usage_inference = d.pop("byok_usage_inference")

        completion_tokens = d.pop("completion_tokens")

        date = d.pop("date")

        endpoint_id = d.pop("endpoint_id")

        model = d.pop("model")

        model_permaslug = d.pop("model_permaslug")

        prompt_tokens = d.pop("prompt_tokens")

        provider_name = d.pop("provider_name")

        reasoning_tokens = d.pop("reasoning_tokens")

        requests = d.pop("requests")

        usage = d.pop("usage")

        workspace_id = d.pop("workspace_id", UNSET)

        activity_item = cls(
            byok_usage_inference=byok_usage_inference,
            completion_tokens=completion_tokens,
            date=date,
            endpoint_id=endpoint_id,
            model=model,
            model_permaslug=model_permaslug,
            prompt_tokens=prompt_tokens,
            provider_name=provider_name,
            reasoning_tokens=reasoning_tokens,
            requests=requests,
            usage=usage,
            workspace_id=workspace_id,
        )

        activity_item.additional_properties = d
        return activity_item

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
        "byok_usage_inference": (True, ("number",)),
        "completion_tokens": (True, ("integer",)),
        "date": (True, ("string",)),
        "endpoint_id": (True, ("string",)),
        "model": (True, ("string",)),
        "model_permaslug": (True, ("string",)),
        "prompt_tokens": (True, ("integer",)),
        "provider_name": (True, ("string",)),
        "reasoning_tokens": (True, ("integer",)),
        "requests": (True, ("integer",)),
        "usage": (True, ("number",)),
        "workspace_id": (False, ("string",)),
    },
)
