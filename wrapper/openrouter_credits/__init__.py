"""openrouter_credits: read your OpenRouter credits balance, safely.

from openrouter_credits import CreditsClient

with CreditsClient() as client:          # key from OPENROUTER_API_KEY
    credits = client.get_credits()
print(credits.total_credits, credits.total_usage, credits.remaining)
"""

from typing import TYPE_CHECKING

from ._client import AsyncCreditsClient, CreditsClient, get_balance, get_credits
from ._defaults import __version__
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MalformedBudgetError,
    OpenRouterCreditsError,
    OperationUnavailable,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnexpectedStatusError,
)

if TYPE_CHECKING:
    from ._activity import Activity, DailySpend, Spend
    from ._analytics import AnalyticsMeta, AnalyticsMetric, AnalyticsResult, AnalyticsRow
    from ._api_key import ApiKey
    from ._balance import Balance
    from ._credits import Credits
    from ._forecast import DayForecast, DaysLeft, Forecast, Range, forecast_spend, pace_forecast
    from ._key_info import KeyInfo
    from ._listing import KeyListing
    from ._workspaces import Workspace

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "Activity",
    "AnalyticsMeta",
    "AnalyticsMetric",
    "AnalyticsResult",
    "AnalyticsRow",
    "ApiKey",
    "AsyncCreditsClient",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "ConfigurationError",
    "Credits",
    "CreditsClient",
    "DailySpend",
    "DayForecast",
    "DaysLeft",
    "Forecast",
    "KeyInfo",
    "KeyListing",
    "MalformedBudgetError",
    "OpenRouterCreditsError",
    "OperationUnavailable",
    "PermissionDeniedError",
    "Range",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "Spend",
    "UnexpectedStatusError",
    "Workspace",
    "__version__",
    "forecast_spend",
    "get_balance",
    "get_credits",
    "pace_forecast",
]


def __getattr__(name: str) -> object:
    # The result types extend the generated models, which bring attrs: they load on first use, so
    # ``import openrouter_credits`` costs about what ``import httpx`` does (make bench).
    if name == "Credits":
        from ._credits import Credits

        return Credits
    if name == "KeyInfo":
        from ._key_info import KeyInfo

        return KeyInfo
    if name == "ApiKey":
        from ._api_key import ApiKey

        return ApiKey
    if name == "KeyListing":
        from ._listing import KeyListing

        return KeyListing
    if name == "Workspace":
        from ._workspaces import Workspace

        return Workspace
    if name in ("AnalyticsMeta", "AnalyticsMetric", "AnalyticsResult", "AnalyticsRow"):
        from . import _analytics

        return getattr(_analytics, name)
    if name in ("Activity", "DailySpend", "Spend"):
        from . import _activity

        return getattr(_activity, name)
    if name == "Balance":
        from ._balance import Balance

        return Balance
    if name in ("DayForecast", "DaysLeft", "Forecast", "Range", "forecast_spend", "pace_forecast"):
        from . import _forecast

        return getattr(_forecast, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
