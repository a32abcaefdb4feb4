"""What get_credits() returns."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NoReturn

__all__ = ["Credits"]

_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


def exact_difference(a: float, b: float) -> float:
    """``a - b`` for the decimals the two floats were written as, rounded to a float once."""
    import decimal  # here, not at the top: it adds to the import time of the package

    exact = decimal.Context(prec=800, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
    return float(exact.subtract(decimal.Decimal(repr(a)), decimal.Decimal(repr(b))))


class Credits:
    """The account's credits in US dollars: bought in total, used in total, and what remains.

    Immutable. ``extra`` holds the fields the server sent beyond the schema, read-only, so they are
    reachable before the next regeneration picks them up.
    """

    # A plain class rather than an attrs one: it keeps attrs (and decimal) out of
    # ``import openrouter_credits``, which the command line pays on every start.
    __slots__ = ("_extra", "total_credits", "total_usage")

    total_credits: float
    total_usage: float
    _extra: Mapping[str, Any]

    def __init__(self, total_credits: float, total_usage: float, extra: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "total_credits", total_credits)
        object.__setattr__(self, "total_usage", total_usage)
        object.__setattr__(self, "_extra", MappingProxyType(dict(extra)) if extra else _NO_EXTRA)

    @property
    def extra(self) -> Mapping[str, Any]:
        return self._extra

    @property
    def remaining(self) -> float:
        """``total_credits - total_usage`` without binary noise: 10.0 - 9.9 gives 0.1.

        The two numbers are taken as the decimals they were written as, subtracted exactly, and
        rounded to a float once.
        """
        return exact_difference(self.total_credits, self.total_usage)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Credits is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Credits is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credits):
            return NotImplemented
        return (self.total_credits, self.total_usage, self._extra) == (
            other.total_credits,
            other.total_usage,
            other._extra,
        )

    def __hash__(self) -> int:
        return hash((self.total_credits, self.total_usage))

    def __reduce__(self) -> tuple[type[Credits], tuple[float, float, dict[str, Any]]]:
        return (Credits, (self.total_credits, self.total_usage, dict(self._extra)))

    def __repr__(self) -> str:
        extra = f", extra={dict(self._extra)!r}" if self._extra else ""
        return (
            f"Credits(total_credits={self.total_credits!r}, total_usage={self.total_usage!r}, "
            f"remaining={self.remaining!r}{extra})"
        )
