"""openrouter_credits: read your OpenRouter credits balance, safely.

from openrouter_credits import CreditsClient

with CreditsClient() as client:          # key from OPENROUTER_API_KEY
    credits = client.get_credits()
print(credits.total_credits, credits.total_usage, credits.remaining)
"""

from ._client import AsyncCreditsClient, CreditsClient, get_credits
from ._config import __version__
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    OpenRouterCreditsError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnexpectedStatusError,
)
from ._models import Credits

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncCreditsClient",
    "AuthenticationError",
    "ConfigurationError",
    "Credits",
    "CreditsClient",
    "OpenRouterCreditsError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "UnexpectedStatusError",
    "__version__",
    "get_credits",
]
