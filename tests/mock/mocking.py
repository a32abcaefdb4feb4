"""What the mock's tests share: a management key and an ordinary key, the moment the mock is set at
(``CLOCK``, which the ``mock`` fixture puts back at ``NOW`` around each test), and requests to the API
and to the control API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from helpers import Clock
from openrouter_credits.testing import MockServer

MANAGEMENT = "sk-or-v1-mocktests-SECRET-management-71cc"
ORDINARY = "sk-or-v1-mocktests-SECRET-ordinary-82dd"
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)  # a Wednesday
CLOCK = Clock(NOW)


def get(mock: MockServer, path: str, key: str = MANAGEMENT, **params: str) -> httpx.Response:
    """``GET path`` of the mock's API with ``key``."""
    return httpx.get(mock.base_url + path, headers={"Authorization": f"Bearer {key}"}, params=params)


def control(mock: MockServer, action: str, body: dict[str, Any]) -> httpx.Response:
    """``POST /_mock/<action>`` of the mock's control API."""
    return httpx.post(mock.base_url.removesuffix("/api/v1") + "/_mock/" + action, json=body)
