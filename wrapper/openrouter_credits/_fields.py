"""A field of an answer, whichever document the generated package was made from: read in one place.

A field the wrapper reads comes in one of four ways, by what the API document in use says of it:

- a typed attribute of the generated model (the document declares it);
- ``Unset``, the generated package's mark of an optional field the answer lacks;
- ``None`` (declared nullable, and null in the answer);
- an entry of ``additional_properties`` (the document does not declare it: a field the server sends
  beyond it, as ``budgets`` of ``GET /key`` and ``last_used_at`` of ``GET /keys`` are today).

``read()`` gives the value whichever it is, ``ABSENT`` when the answer has none, so a newer document
that declares a field (optional or required, nullable or not) changes nothing for the wrapper.
``Unset`` never reaches a user of the wrapper: the results are copied with it made None
(``Frozen.from_generated``), and so are the rows of ``GET /activity`` (``unset_to_none``).

A property of a result named as a field its document does not declare (``ApiKey.last_used_at``)
stands in for that field: once a document declares it, attrs leaves the property out of the class it
builds (an attribute's name wins over the class's own), and the typed attribute, with ``Unset`` made
None, takes its place.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from openrouter_credits_client.types import Unset

__all__ = ["ABSENT", "declared", "may_be_unset", "read", "unset_to_none"]


class _Absent:
    """What ``read()`` gives for a field the answer does not have."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


#: A field the answer does not have: undeclared and not sent, or declared optional and left out.
ABSENT: Final[Any] = _Absent()

_DECLARED: dict[type, frozenset[str]] = {}
_MAY_BE_UNSET: dict[type, tuple[str, ...]] = {}


def declared(cls: type) -> frozenset[str]:
    """The fields a generated model (or a class extending one) declares."""
    names = _DECLARED.get(cls)
    if names is None:
        names = _DECLARED[cls] = frozenset(field.name for field in attrs.fields(cls))
    return names


def may_be_unset(cls: type) -> tuple[str, ...]:
    """The fields of a generated model that the document declares optional (``Unset`` by default)."""
    names = _MAY_BE_UNSET.get(cls)
    if names is None:
        names = _MAY_BE_UNSET[cls] = tuple(
            field.name for field in attrs.fields(cls) if isinstance(field.default, Unset)
        )
    return names


def read(model: Any, name: str) -> Any:
    """``model.<name>`` whether the document declares it or the server sent it beyond the document;
    ``ABSENT`` when the answer has no such field (``None`` when it has a null)."""
    if name in declared(type(model)):
        value = getattr(model, name)
        return ABSENT if isinstance(value, Unset) else value
    return model.additional_properties.get(name, ABSENT)


def unset_to_none(model: Any) -> Any:
    """``model`` (a generated model, changed in place) with each optional field it lacks set to None."""
    for name in may_be_unset(type(model)):
        if isinstance(getattr(model, name), Unset):
            setattr(model, name, None)
    return model
