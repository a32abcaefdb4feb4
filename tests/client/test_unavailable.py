"""An operation the generated package lacks (its document has no GET /key or GET /activity): a typed
``OperationUnavailable``, a ConfigurationError, never ModuleNotFoundError; other missing modules are
not mistaken for it. (The whole command on such a package: tests/codegen/test_generate.py.)"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from openrouter_credits import ConfigurationError, OperationUnavailable
from openrouter_credits._call.operations import Operation
from openrouter_credits._combine import combine
from openrouter_credits._credits import Credits
from openrouter_credits_client.models import GetCreditsResponse200Data


def operation(module: str) -> Operation[Any]:
    return Operation(
        "/key", "the key's own limit and usage", module, lambda parsed: parsed, "openrouter_credits._key_info"
    )


def test_a_missing_generated_module_is_unavailable() -> None:
    """The endpoint module is not in the generated package: OperationUnavailable, with the sentence."""
    missing = operation("openrouter_credits_client.api.api_keys_gone.get_current_key")
    with pytest.raises(OperationUnavailable) as caught:
        missing.load()
    error = caught.value
    assert isinstance(error, ConfigurationError)
    assert error.kind == "configuration"
    assert error.reason == "the API document in use has no GET /key"
    assert str(error) == (
        "The API document in use has no GET /key: openrouter_credits_client was generated without it. "
        "Regenerate it from a document that has it (make update-spec, then make generate)."
    )
    assert error.__cause__ is None
    with pytest.raises(OperationUnavailable):
        missing.endpoint  # noqa: B018
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.reason) == (str(error), error.reason)


def test_another_missing_module_is_raised_as_it_is() -> None:
    """A module outside the generated package (a broken installation) is not passed off as a document's lack."""
    with pytest.raises(ModuleNotFoundError):
        operation("no_such_package_anywhere.module").load()


def test_the_balance_gives_the_reason() -> None:
    """combine(): the key's part and the spend unknown, with the short reason; spendable at most the account's."""
    credits = Credits.from_generated(GetCreditsResponse200Data(total_credits=25.0, total_usage=7.5))
    errors = {"key": OperationUnavailable("GET", "/key"), "activity": OperationUnavailable("GET", "/activity")}
    balance = combine(credits, None, None, errors)
    assert (balance.remaining, balance.spendable, balance.spendable_at_most) == (17.5, None, 17.5)
    assert balance.unknown["key"] == "the API document in use has no GET /key"
    assert balance.unknown["spendable"] == "the API document in use has no GET /key"
    assert balance.unknown["days_left"] == "the API document in use has no GET /activity"
