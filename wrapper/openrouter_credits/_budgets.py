"""The budget layers ``GET /key`` reports: ``budgets`` (every layer enforcement checks for the key, in
order: guardrail budgets, workspace budgets, the key's own limit) and ``effective_budget`` (the layer
that blocks first: the spent one, else the one with the least ``remaining_usd``; null when nothing is
budgeted).

The one place they are read (through ``_fields.read``): a document that declares them gives typed
attributes of the generated model (whose layers are generated models), the shipped one leaves them in
``additional_properties`` as JSON; either way they are checked here and become ``BudgetLayer`` values.
A layer that does not fit raises ``MalformedBudgetError`` naming its JSON path
(``data.budgets[1].remaining_usd``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, NoReturn

import attrs

from ._exceptions import MalformedBudgetError
from ._fields import ABSENT, read
from ._windows import next_reset, utc

__all__ = ["KEY_LIMIT_SCOPE", "BudgetLayer", "effective", "layers"]

#: The scope of the layer that is the key's own limit (``limit`` and ``limit_remaining`` of the answer).
KEY_LIMIT_SCOPE = "key_limit"

#: How much of a bad value a message quotes.
_MAX_QUOTED = 40


@attrs.frozen
class BudgetLayer:
    """One budget layer that applies to requests made with the key, in US dollars.

    ``scope`` is what the budget is set on (``api_key``, ``member``, ``workspace``,
    ``workspace_default_key``, ``workspace_default_member``, or ``key_limit`` for the key's own limit;
    a scope OpenRouter adds later is kept as sent); ``reset_interval`` is ``daily``, ``weekly``,
    ``monthly`` or None (never resets); ``resets_at`` when the window next starts afresh (an aware
    UTC time, None when OpenRouter does not say)."""

    scope: str
    limit_usd: float
    remaining_usd: float
    spend_usd: float
    reset_interval: str | None
    resets_at: dt.datetime | None
    include_byok: bool
    budget_id: str | None
    guardrail_id: str | None

    @property
    def is_key_limit(self) -> bool:
        """Whether this layer is the key's own limit (which ``limit_remaining`` reports too)."""
        return self.scope == KEY_LIMIT_SCOPE

    def next_reset(self, now: dt.datetime) -> dt.datetime | None:
        """When the window next starts afresh after ``now``: OpenRouter's ``resets_at``, else the
        next 00:00 UTC of its interval; None for a budget that does not reset."""
        if self.resets_at is not None:
            return self.resets_at
        return next_reset(self.reset_interval, now)

    def as_json(self, now: dt.datetime) -> dict[str, Any]:
        """The layer as JSON (``resets_at`` as RFC 3339, OpenRouter's or the next of its window)."""
        at = self.next_reset(now)
        return {
            "scope": self.scope,
            "limit_usd": self.limit_usd,
            "remaining_usd": self.remaining_usd,
            "spend_usd": self.spend_usd,
            "reset_interval": self.reset_interval,
            "resets_at": None if at is None else at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "include_byok": self.include_byok,
            "budget_id": self.budget_id,
            "guardrail_id": self.guardrail_id,
        }


def _quoted(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_QUOTED else text[:_MAX_QUOTED] + "…"


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedBudgetError(path, f"is {_quoted(value)}, not a number of dollars")
    if not math.isfinite(value):
        raise MalformedBudgetError(path, f"is {_quoted(value)}, not a finite number of dollars")
    return float(value)


def _text(value: Any, path: str, *, nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        _refuse(value, path, "a string or null" if nullable else "a string")
    return value


def _refuse(value: Any, path: str, wanted: str) -> NoReturn:
    raise MalformedBudgetError(path, f"is {_quoted(value)}, not {wanted}")


def _moment(value: Any, path: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return utc(value)
    if isinstance(value, str):
        try:
            return utc(dt.datetime.fromisoformat(value))
        except ValueError:
            pass
    _refuse(value, path, "an ISO 8601 date-time or null")


_FIELDS = (
    "scope",
    "limit_usd",
    "remaining_usd",
    "spend_usd",
    "reset_interval",
    "resets_at",
    "include_byok",
    "budget_id",
    "guardrail_id",
)


def _layer(value: Any, path: str) -> BudgetLayer:
    """A ``BudgetLayer`` from JSON, or from a generated model of one (its ``to_dict()``)."""
    if hasattr(value, "to_dict") and not isinstance(value, Mapping):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise MalformedBudgetError(path, f"is {_quoted(value)}, not a budget layer (an object)")
    for name in _FIELDS:
        if name not in value:
            raise MalformedBudgetError(f"{path}.{name}", "is missing")
    include_byok = value["include_byok"]
    if not isinstance(include_byok, bool):
        _refuse(include_byok, f"{path}.include_byok", "true or false")
    return BudgetLayer(
        scope=str(_text(value["scope"], f"{path}.scope", nullable=False)),
        limit_usd=_number(value["limit_usd"], f"{path}.limit_usd"),
        remaining_usd=_number(value["remaining_usd"], f"{path}.remaining_usd"),
        spend_usd=_number(value["spend_usd"], f"{path}.spend_usd"),
        reset_interval=_text(value["reset_interval"], f"{path}.reset_interval", nullable=True),
        resets_at=_moment(value["resets_at"], f"{path}.resets_at"),
        include_byok=include_byok,
        budget_id=_text(value["budget_id"], f"{path}.budget_id", nullable=True),
        guardrail_id=_text(value["guardrail_id"], f"{path}.guardrail_id", nullable=True),
    )


def layers(model: Any) -> tuple[BudgetLayer, ...] | None:
    """Every budget layer of a key answer, in OpenRouter's order; None when it does not say."""
    value = read(model, "budgets")
    if value is ABSENT or value is None:
        return None
    if not isinstance(value, list | tuple):
        raise MalformedBudgetError("data.budgets", f"is {_quoted(value)}, not a list of budget layers")
    return tuple(_layer(item, f"data.budgets[{index}]") for index, item in enumerate(value))


def effective(model: Any) -> BudgetLayer | None:
    """The layer that blocks first; None when nothing is budgeted or the answer does not say."""
    value = read(model, "effective_budget")
    if value is ABSENT or value is None:
        return None
    return _layer(value, "data.effective_budget")
