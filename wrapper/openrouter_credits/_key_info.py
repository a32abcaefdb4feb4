"""What ``get_key()`` returns: the generated model of ``GET /key``, with the wrapper's additions.

A module of its own: a document without ``GET /key`` generates no such model, and ``get_credits()``
must still work then.
"""

from __future__ import annotations

import datetime as dt

import attrs

from openrouter_credits_client.models.get_current_key_response_200_data import GetCurrentKeyResponse200Data

from ._budgets import BudgetLayer, effective, layers
from ._frozen import Frozen
from ._windows import next_reset

__all__ = ["KeyInfo"]


@attrs.frozen(repr=False, eq=True, hash=False)
class KeyInfo(Frozen, GetCurrentKeyResponse200Data):
    """What ``GET /key`` tells a key of itself: ``label``, ``limit`` (None: no limit),
    ``limit_remaining``, ``usage`` and ``usage_daily`` / ``_weekly`` / ``_monthly`` in US dollars,
    ``is_management_key``, ``is_free_tier``, ``expires_at``, ``limit_reset`` (None, ``"daily"``,
    ``"weekly"`` or ``"monthly"``), ``byok_usage``, ... Every field of the API document's key object
    is an attribute; immutable.

    ``budget_layers`` and ``effective_layer`` read the budgets OpenRouter enforces for the key
    (``budgets`` and ``effective_budget`` of the answer), whether the document declares them or only
    the server sends them."""

    __hash__ = Frozen.__hash__  # type: ignore[assignment]  # the generated base is unhashable

    @property
    def limit_left(self) -> float | None:
        """What the key's own limit still allows, in dollars; None for a key without a limit, or when
        OpenRouter did not say (the one place a key's limit remaining is read)."""
        if self.limit is None:
            return None
        left = self.limit_remaining
        return float(left) if isinstance(left, int | float) and not isinstance(left, bool) else None

    def resets_at(self, now: dt.datetime) -> dt.datetime | None:
        """When the key's limit next starts afresh after ``now`` (00:00 UTC: each day, each Monday, or
        the 1st of each month), an aware UTC time; None for a key without a limit, or one whose limit
        does not reset."""
        if self.limit is None:
            return None
        return next_reset(self.limit_reset, now)

    @property
    def budget_layers(self) -> tuple[BudgetLayer, ...] | None:
        """Every budget layer enforcement checks for this key, in OpenRouter's order (guardrail
        budgets, workspace budgets, the key's own limit); None when the answer does not say
        (``budgets`` absent). Raises ``MalformedBudgetError`` for a layer that is not what OpenRouter
        documents (``get_key()`` has already refused such an answer)."""
        return layers(self)

    @property
    def effective_layer(self) -> BudgetLayer | None:
        """The budget layer that blocks first (``effective_budget``: the spent one, else the one with
        the least ``remaining_usd``); None when nothing is budgeted or the answer does not say.
        Raises ``MalformedBudgetError`` as ``budget_layers`` does."""
        return effective(self)
