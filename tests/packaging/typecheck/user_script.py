"""A user's script of the public API, type-checked by `make lint` (mypy --strict), never run by pytest.

If a public name loses its static type (a lazy export typed ``object``, say), this stops type-checking.
"""

from __future__ import annotations

import asyncio
import os

import httpx

import openrouter_credits
from openrouter_credits import (
    APIStatusError,
    AsyncCreditsClient,
    Credits,
    CreditsClient,
    OpenRouterCreditsError,
    PermissionDeniedError,
    ResponseValidationError,
    get_credits,
)
from openrouter_credits.testing import MockOpenRouter, MockServer
from openrouter_credits_client import AuthenticatedClient
from openrouter_credits_client.api.credits_ import get_credits as generated_get_credits
from openrouter_credits_client.errors import ResponseValidationError as GeneratedValidationError
from openrouter_credits_client.models import GetCreditsResponse200


def remaining_or_none(client: CreditsClient) -> float | None:
    try:
        credits: Credits = client.get_credits()
    except PermissionDeniedError:
        return None
    except APIStatusError as exc:
        status: int = exc.status_code
        print(status, exc.message, exc.request_id)
        return None
    except ResponseValidationError as exc:
        print(exc.describe({"base_url": "--base-url"}))
        return None
    total: float = credits.total_credits
    print(total, credits.total_usage, dict(credits.extra))
    return credits.remaining


async def in_async(key: str) -> float:
    async with AsyncCreditsClient(key, timeout=httpx.Timeout(5.0), deadline=10, max_retries=1) as client:
        credits = await client.get_credits()
    return credits.remaining


def with_the_mock() -> None:
    app: MockOpenRouter = MockOpenRouter(provisioning_keys={"sk-or-v1-a": (10.0, 2.5)})
    app.set_balance(total_usage=9.5)
    app.fail_next(1, status=503)
    server: MockServer = MockServer(app, port=0)
    with server, CreditsClient(server.provisioning_key, base_url=server.base_url, max_retries=0) as client:
        print(remaining_or_none(client), asyncio.run(in_async(server.provisioning_key)))


def generated_directly() -> None:
    client = AuthenticatedClient(base_url="https://openrouter.ai/api/v1", token=os.environ["OPENROUTER_API_KEY"])
    with client as client:
        try:
            response = generated_get_credits.sync_detailed(client=client)
        except GeneratedValidationError as exc:
            raise SystemExit(f"unexpected answer: {exc.path}: {exc.problem}") from None
    if isinstance(response.parsed, GetCreditsResponse200):
        used: float = response.parsed.data.total_usage
        print(used)
    status: int = response.status_code
    print(status)


def one_call() -> None:
    try:
        print(get_credits().remaining, openrouter_credits.__version__)
    except OpenRouterCreditsError as exc:
        print(f"could not read the balance: {exc}")


def runway(client: CreditsClient) -> str:
    balance: openrouter_credits.Balance = client.get_balance()
    key: openrouter_credits.KeyInfo | None = balance.key
    limit: float | None = None if key is None else key.limit
    days: float | None = balance.days_left
    daily: tuple[openrouter_credits.DailySpend, ...] | None = balance.daily_spend
    activity: openrouter_credits.Activity = client.get_activity()
    spent: float = activity.total
    if days is None:
        return f"unknown: {balance.unknown['days_left']} (limit {limit}, {len(daily or ())} days, {spent})"
    return f"{days:.1f} days"


async def runway_async(key: str) -> float | None:
    async with AsyncCreditsClient(key) as client:
        info = await client.get_key()
        balance = await client.get_balance()
    remaining: float | None = balance.remaining
    return remaining if info.is_management_key else balance.spendable


def one_balance() -> float | None:
    return openrouter_credits.get_balance().spendable


def forecast_of(balance: openrouter_credits.Balance) -> str:
    forecast: openrouter_credits.Forecast | None = balance.forecast
    left: openrouter_credits.DaysLeft | None = balance.days_left_range
    month: openrouter_credits.Range | None = balance.month_end_spend
    if forecast is None or left is None or month is None:
        return "unknown"
    today: openrouter_credits.DayForecast = forecast.daily[0]
    longer = openrouter_credits.forecast_spend(balance.daily_spend or (), at=balance.at)
    paced: openrouter_credits.Forecast = openrouter_credits.pace_forecast(3.0, 0.5, at=balance.at)
    figures = f"{left.central} ({left.low} to {left.high}), {month.central}, {today.central}"
    return f"{forecast.method}: {figures}, {longer.method}, {paced.spend_per_day}"
