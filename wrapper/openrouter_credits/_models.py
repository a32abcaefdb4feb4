"""What the clients return: the generated models, immutable, with the wrapper's additions on top.

``Credits`` is the generated ``GetCreditsResponse200Data`` (``KeyInfo``, in ``_key``, likewise extends
``GetCurrentKeyResponse200Data``): every field the API document declares is
a typed attribute of it, so a field upstream adds appears here after ``make generate`` with no edit to
this file. The wrapper adds ``remaining``, ``extra``, immutability, equality and a readable repr.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn, Self, cast

import attrs

from openrouter_credits_client.models.get_credits_response_200_data import GetCreditsResponse200Data

from ._money import exact_difference

__all__ = ["Credits"]

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


class _Immutable:
    """The wrapper's side of a result: read-only ``extra``, equality, hashing and repr.

    Mixed into a frozen attrs subclass of a generated model, whose ``additional_properties`` (the
    fields the server sent beyond the document) it shows read-only as ``extra``.
    """

    __slots__ = ()
    additional_properties: dict[str, Any]

    def __setitem__(self, key: str, value: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is immutable: cannot set {key!r}")

    def __delitem__(self, key: str) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is immutable: cannot delete {key!r}")

    @property
    def extra(self) -> Mapping[str, Any]:
        """Fields the server sent beyond the API document, read-only."""
        return MappingProxyType(self.additional_properties)

    @classmethod
    def from_generated(cls, model: Any) -> Self:
        """A copy of ``model``, an instance of the generated class this one extends (on every call's
        path: the field names are looked up once per class, and the frozen instance is filled in
        directly)."""
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in attrs.fields(cast(Any, cls)))
        new = cls.__new__(cls)
        for name in names:
            object.__setattr__(new, name, getattr(model, name))
        object.__setattr__(new, "additional_properties", dict(model.additional_properties))
        return new

    def _repr_fields(self) -> list[str]:
        fields = attrs.fields(cast(Any, type(self)))
        return [f"{f.name}={getattr(self, f.name)!r}" for f in fields if f.name != "additional_properties"]

    def __hash__(self) -> int:
        # Fields whose values cannot be hashed (a list, a generated model: ``budgets`` once the
        # document declares it) are left out; equal instances still hash alike.
        fields = attrs.fields(cast(Any, type(self)))
        values = (getattr(self, f.name) for f in fields if f.name != "additional_properties")
        return hash(tuple(value for value in values if isinstance(value, Hashable)))

    def __repr__(self) -> str:
        parts = self._repr_fields()
        if self.additional_properties:
            parts.append(f"extra={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


@attrs.frozen(repr=False, eq=True, hash=False)
class Credits(_Immutable, GetCreditsResponse200Data):
    """The account's credits in US dollars: ``total_credits`` bought, ``total_usage`` used, and
    ``remaining``. Every field of the API document's credits object is an attribute; immutable."""

    __hash__ = _Immutable.__hash__  # type: ignore[assignment]  # the generated base is unhashable

    @property
    def remaining(self) -> float:
        """``total_credits - total_usage`` without binary noise: 10.0 - 9.9 gives 0.1.

        The two numbers are taken as the decimals they were written as, subtracted exactly, and
        rounded to a float once.
        """
        return exact_difference(self.total_credits, self.total_usage)

    def _repr_fields(self) -> list[str]:
        return [*super()._repr_fields(), f"remaining={self.remaining!r}"]
