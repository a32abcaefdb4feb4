"""What a key may spend is never overstated: a cap that could not be read leaves ``spendable`` unknown,
with what is known of the other cap as ``spendable_at_most``. The pure combination, by hand."""

from __future__ import annotations

import pytest

from helpers import key_info
from openrouter_credits import Credits, PermissionDeniedError, ServerError
from openrouter_credits._combine import combine

CREDITS = Credits(total_credits=25.0, total_usage=7.5)  # $17.50 remaining


def server_error(what: str) -> ServerError:
    return ServerError(
        f"OpenRouter failed to answer (HTTP 503: {what} down). Try again later.",
        status_code=503,
        message=f"{what} down",
        body="",
        request_id=None,
        retry_after=None,
        url=f"https://openrouter.ai/api/v1/{what}",
    )


def forbidden() -> PermissionDeniedError:
    return PermissionDeniedError(
        "This key may not read the account's credits (HTTP 403: no).",
        status_code=403,
        message="no",
        body="",
        request_id=None,
        retry_after=None,
        url="https://openrouter.ai/api/v1/credits",
    )


def test_a_failed_key_call_leaves_spendable_unknown() -> None:
    """/key failing: a limit of $0.50 may cap the key, so spendable is unknown, at most the $17.50 remaining."""
    balance = combine(CREDITS, None, None, {"key": server_error("key")})
    assert (balance.remaining, balance.spendable, balance.spendable_at_most) == (17.5, None, 17.5)
    assert balance.unknown["spendable"] == (
        "the key's own limit could not be read: OpenRouter failed to answer (HTTP 503: key down). Try again later."
    )
    assert "spendable_at_most" not in balance.unknown


def test_a_limit_without_its_remaining_bounds_but_does_not_say() -> None:
    """A limit OpenRouter gives no remaining for: unknown, at most the smaller of the limit and the remaining."""
    balance = combine(CREDITS, key_info(limit=10.0, limit_remaining=None), None, {})
    assert (balance.spendable, balance.spendable_at_most) == (None, 10.0)
    assert balance.unknown["spendable"] == (
        "this key has a limit of $10.00, but OpenRouter did not say how much of it is left"
    )
    balance = combine(CREDITS, key_info(limit=30.0, limit_remaining=None), None, {})
    assert (balance.spendable, balance.spendable_at_most) == (None, 17.5)


def test_a_failed_credits_call_leaves_spendable_unknown() -> None:
    """A management key with $40 of its limit left and /credits failing: the account may have less."""
    key = key_info(is_management_key=True, limit=50.0, limit_remaining=40.0)
    balance = combine(None, key, None, {"credits": server_error("credits")})
    assert (balance.remaining, balance.spendable, balance.spendable_at_most) == (None, None, 40.0)
    assert balance.unknown["spendable"].startswith("the account's balance could not be read: OpenRouter failed")


def test_an_ordinary_key_spends_at_most_its_limit() -> None:
    """An ordinary key may not read the account's balance (403), which caps it all the same: its limit
    remaining is what it may spend at most, never its spendable (an account holding $1 stops it first)."""
    balance = combine(None, key_info(limit=10.0, limit_remaining=7.5), None, {"credits": forbidden()})
    assert (balance.spendable, balance.spendable_at_most) == (None, 7.5)
    assert balance.unknown["spendable"] == "the account's balance needs a management (provisioning) key"


def test_nothing_bounds_an_unlimited_ordinary_key() -> None:
    """No limit and no balance: both unknown, with the same reason; never 0."""
    balance = combine(None, key_info(), None, {"credits": forbidden()})
    assert (balance.spendable, balance.spendable_at_most) == (None, None)
    reason = "this key has no limit, and the account's balance needs a management (provisioning) key"
    assert (balance.unknown["spendable"], balance.unknown["spendable_at_most"]) == (reason, reason)


def test_both_caps_unknown() -> None:
    balance = combine(None, None, None, {"credits": server_error("credits"), "key": server_error("key")})
    assert (balance.spendable, balance.spendable_at_most) == (None, None)
    assert balance.unknown["spendable"] == "neither the account's balance nor the key's limit could be read"


@pytest.mark.parametrize(
    ("limit", "left", "expected"),
    [(None, None, 17.5), (100.0, 60.0, 17.5), (10.0, 0.5, 0.5), (10.0, 0.0, 0.0)],
)
def test_known_caps_give_the_smaller(limit: float | None, left: float | None, expected: float) -> None:
    """Both caps known: spendable is the smaller, and at most is the same figure."""
    balance = combine(CREDITS, key_info(limit=limit, limit_remaining=left), None, {})
    assert (balance.spendable, balance.spendable_at_most) == (expected, expected)
