"""What ``get_key()`` returns: the generated model of ``GET /key``, with the wrapper's additions.

A module of its own: a document without ``GET /key`` generates no such model, and ``get_credits()``
must still work then.
"""

from __future__ import annotations

import attrs

from openrouter_credits_client.models.get_current_key_response_200_data import GetCurrentKeyResponse200Data

from ._models import _Immutable

__all__ = ["KeyInfo"]


@attrs.frozen(repr=False, eq=True, hash=False)
class KeyInfo(_Immutable, GetCurrentKeyResponse200Data):
    """What ``GET /key`` tells a key of itself: ``label``, ``limit`` (None: no limit),
    ``limit_remaining``, ``usage`` and ``usage_daily`` / ``_weekly`` / ``_monthly`` in US dollars,
    ``is_management_key``, ``is_free_tier``, ``expires_at``, ... Every field of the API document's
    key object is an attribute; immutable."""

    __hash__ = _Immutable.__hash__  # type: ignore[assignment]  # the generated base is unhashable

    @property
    def limit_left(self) -> float | None:
        """What the key's own limit still allows, in dollars; None for a key without a limit, or when
        OpenRouter did not say (the one place a key's limit remaining is read)."""
        if self.limit is None:
            return None
        left = self.limit_remaining
        return float(left) if isinstance(left, int | float) and not isinstance(left, bool) else None
