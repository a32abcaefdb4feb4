"""What get_credits() returns."""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

__all__ = ["Credits"]

# Wide enough that the difference of any two doubles is exact before the one rounding to float.
_EXACT = decimal.Context(prec=800, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def _read_only(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(repr=False)
class Credits:
    """The account's credits in US dollars: bought in total, used in total, and what remains.

    ``extra`` holds the fields the server sent beyond the schema, read-only, so they are reachable
    before the next regeneration picks them up.
    """

    total_credits: float
    total_usage: float
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_read_only, hash=False)

    @property
    def remaining(self) -> float:
        """``total_credits - total_usage`` without binary noise: 10.0 - 9.9 gives 0.1."""
        difference = _EXACT.subtract(decimal.Decimal(repr(self.total_credits)), decimal.Decimal(repr(self.total_usage)))
        return float(difference)

    def __repr__(self) -> str:
        extra = f", extra={dict(self.extra)!r}" if self.extra else ""
        return (
            f"Credits(total_credits={self.total_credits!r}, total_usage={self.total_usage!r}, "
            f"remaining={self.remaining!r}{extra})"
        )
