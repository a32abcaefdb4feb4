"""Money in the ledger: whole nano-dollars (10⁻⁹ $), so that sums in SQL are exact integers.

A JSON number is taken as the decimal it was written as (``repr``), as ``_money`` does, and rounded
half-even to the nano-dollar (OpenRouter's figures are finer than a nano-dollar only in the last
digits of binary noise)."""

from __future__ import annotations

import decimal

__all__ = ["NANO", "dollars", "dollars_text", "to_nano"]

NANO = 1_000_000_000
_SCALE = decimal.Decimal(NANO)
_CONTEXT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)


def to_nano(amount: float | int | str | decimal.Decimal) -> int:
    """``amount`` dollars in whole nano-dollars, exactly (half-even at the last place)."""
    if isinstance(amount, float):
        scaled = amount * 1e9
        whole = round(scaled)
        # The fast path: a figure that is a whole number of nano-dollars (all of OpenRouter's are,
        # to well within a float's precision at these sizes).
        if abs(scaled - whole) < 1e-6 and abs(whole) < 2**52:
            return whole
        amount = repr(amount)
    value = _CONTEXT.multiply(decimal.Decimal(amount), _SCALE)
    return int(value.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


def dollars(nano: int) -> decimal.Decimal:
    """Whole nano-dollars as exact decimal dollars."""
    return _CONTEXT.divide(decimal.Decimal(nano), _SCALE)


def dollars_text(nano: int) -> str:
    """Exact dollars for CSV and FOCUS: at least two decimals, no trailing zeros beyond them
    (``12.50``, ``0.000000123``)."""
    sign = "-" if nano < 0 else ""
    whole, frac = divmod(abs(nano), NANO)
    digits = f"{frac:09d}".rstrip("0")
    return f"{sign}{whole}.{digits.ljust(2, '0')}"
