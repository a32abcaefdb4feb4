"""A mock OpenRouter for tests and demos (install the ``mock`` extra: ``pip install openrouter-credits[mock]``).

    from openrouter_credits.testing import MockServer

    with MockServer() as server:                       # uvicorn on 127.0.0.1, a free port
        server.app.fail_next(2, status=503)            # fault injection
        server.app.fail_next(status=429, rate_limit_reset=30)  # a 429 with X-RateLimit-Reset, as OpenRouter sends
        server.app.set_activity_date_format("datetime")  # activity dates as the live API writes them
        server.app.set_balance(total_usage=24.99)      # script a low balance
        server.app.add_keys(1000)                      # GET /keys lists 1,000 generated keys (or set_keys())
        server.app.add_workspace("Research", keys=40)  # a second workspace, with keys of its own
        server.app.set_history({"2026-02-10": 4.0})    # what analytics answers from (default: a year)
        ...  # CreditsClient(server.provisioning_key, base_url=server.base_url)

``MockOpenRouter`` is the ASGI app on its own; the pytest fixture ``openrouter_mock`` yields a running
``MockServer``.
"""

from typing import TYPE_CHECKING

from ._app import MockOpenRouter
from ._records import ACTIVITY_DATE_FORMATS, FAULT_KINDS, AccountBalance, Budget, Fault, KeyView, activity_row
from ._scenario import DEFAULT_INFERENCE_KEY, DEFAULT_PROVISIONING_KEY

if TYPE_CHECKING:  # type checkers see the class; at run time it loads on first use (it needs uvicorn)
    from ._server import MockServer

__all__ = [
    "ACTIVITY_DATE_FORMATS",
    "DEFAULT_INFERENCE_KEY",
    "DEFAULT_PROVISIONING_KEY",
    "FAULT_KINDS",
    "AccountBalance",
    "Budget",
    "Fault",
    "KeyView",
    "MockOpenRouter",
    "MockServer",
    "activity_row",
]


def __getattr__(name: str) -> object:
    # MockServer needs uvicorn; import it only when asked for, so the ASGI app works without it.
    if name == "MockServer":
        from ._server import MockServer

        return MockServer
    if name == "Balance":  # the name before 0.2, when it shared the library's ``Balance``'s name
        import warnings

        warnings.warn("openrouter_credits.testing.Balance is now AccountBalance", DeprecationWarning, stacklevel=2)
        return AccountBalance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
