"""The wrapper's side of every result it returns: a frozen attrs subclass of a generated model, with
read-only ``extra`` (the fields the server sent beyond the document), equality, hashing and a repr.

``Credits`` (``_credits``), ``KeyInfo`` (``_key_info``) and ``ApiKey`` (``_api_key``) mix ``Frozen``
into the generated model they extend: every field the API document declares is a typed attribute, so
a field upstream adds appears after ``make generate`` with no edit to the wrapper. An optional field
the answer lacks is None, never the generated package's ``Unset`` (see ``_fields``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn, Self, cast

import attrs

from openrouter_credits_client.types import Unset

from ._fields import may_be_unset

__all__ = ["Frozen"]

#: Per class and generated model it is made from: its fields the generated model has, those that may
#: be Unset, and the others (the wrapper's own, ``ApiKey.workspace_name``, and any the model lacks)
#: with their defaults, None for a field without one (looked up once).
_FIELDS: dict[tuple[type, type], tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, Any], ...]]] = {}


def _default(value: Any) -> Any:
    """A field's value when the model it is made from lacks it: its default, None for none (or Unset)."""
    return None if value is attrs.NOTHING or isinstance(value, Unset) else value


class Frozen:
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
        """A copy of ``model``, an instance of the generated class this one extends (or of another
        generated model of the same object: ``GET /keys/{hash}``'s answer for an ``ApiKey``), with
        each optional field the answer lacks None rather than ``Unset``, and the wrapper's own fields
        at their defaults (on every call's path: the field names are looked up once per class and
        model, and the frozen instance is filled in directly)."""
        fields = _FIELDS.get((cls, type(model)))
        if fields is None:
            every = attrs.fields(cast(Any, cls))
            generated = {f.name for f in attrs.fields(type(model))}
            names = tuple(f.name for f in every if f.name in generated)
            optional = may_be_unset(cls)
            if type(model) not in cls.__mro__:  # another model of the object: its optional fields too
                optional = tuple(dict.fromkeys((*optional, *may_be_unset(type(model)))))
            optional = tuple(name for name in optional if name in generated)
            own = tuple((f.name, _default(f.default)) for f in every if f.name not in generated)
            fields = _FIELDS[(cls, type(model))] = (names, optional, own)
        names, optional, own = fields
        new = cls.__new__(cls)
        for name in names:
            object.__setattr__(new, name, getattr(model, name))
        for name in optional:
            if isinstance(getattr(model, name), Unset):
                object.__setattr__(new, name, None)
        for name, default in own:
            object.__setattr__(new, name, default)
        object.__setattr__(new, "additional_properties", dict(model.additional_properties))
        return new

    def __attrs_post_init__(self) -> None:
        # Made by its attrs __init__ (``KeyInfo(label=..., ...)``): the optional fields left out are
        # None too.
        for name in may_be_unset(type(self)):
            if isinstance(getattr(self, name), Unset):
                object.__setattr__(self, name, None)

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
