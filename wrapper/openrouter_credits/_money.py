"""Exact arithmetic on dollar amounts: the one home of sums and differences of money.

Amounts arrive as JSON numbers, parsed into floats. Each float is taken as the decimal it was written
as (``repr``), the arithmetic is done exactly in decimal, and the result is rounded to a float once:
``10.0 - 9.9`` gives ``0.1`` and thirty days of cents add up to what a person adds up.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable

__all__ = ["exact_decimal", "exact_difference", "exact_quotient", "exact_sum"]

#: Wide enough that no sum or difference of floats' decimals is ever rounded before the final float.
_EXACT = decimal.Context(prec=800, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def exact_decimal(amount: float) -> decimal.Decimal:
    """The decimal a float amount was written as (``repr``): ``0.1`` is ``Decimal("0.1")``."""
    return decimal.Decimal(repr(float(amount)))


_decimal = exact_decimal


def exact_sum(amounts: Iterable[float]) -> float:
    """The sum of the decimals the floats were written as, rounded to a float once."""
    total = decimal.Decimal(0)
    for amount in amounts:
        total = _EXACT.add(total, _decimal(amount))
    return float(total)


def exact_difference(a: float, b: float) -> float:
    """``a - b`` for the decimals the two floats were written as, rounded to a float once."""
    return float(_EXACT.subtract(_decimal(a), _decimal(b)))


def exact_quotient(amount: float, divisor: int) -> float:
    """``amount / divisor`` (a whole number), rounded to a float once."""
    return float(_EXACT.divide(_decimal(amount), decimal.Decimal(divisor)))
