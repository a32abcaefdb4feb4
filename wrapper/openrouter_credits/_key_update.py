"""One key of the account by its hash: a change to it (``update_key()``: ``PATCH /keys/{hash}``),
checked before any I/O, and what a failed ``GET`` or ``PATCH /keys/{hash}`` means.

Only the fields given are sent: ``UNCHANGED`` (the default of each) leaves a field as it is, so that
``limit=None`` can mean what the API means by it (no limit) and not "leave the limit". Every value is
absolute (``disabled=True``, ``limit=20``), never a step from the key's current state, so sending the
same change twice leaves the key as sending it once: ``update_key()`` may retry it safely.

Pure: nothing here does I/O; the generated request body is made on demand (``body()``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
    UnexpectedStatusError,
    restated,
    term,
)

if TYPE_CHECKING:
    from ._api_key import ApiKey

__all__ = [
    "FIELDS",
    "LIMIT_RESETS",
    "UNCHANGED",
    "KeyUpdate",
    "Unchanged",
    "check_key_hash",
    "key_call_error",
    "same_value",
    "unknown_key",
]


class Unchanged(enum.Enum):
    """The type of ``UNCHANGED``: a field ``update_key()`` leaves as it is."""

    UNCHANGED = "UNCHANGED"

    def __repr__(self) -> str:
        return "UNCHANGED"


#: The default of each field of ``update_key()``: not sent, left as it is (``None`` is a value).
UNCHANGED: Final = Unchanged.UNCHANGED

LimitReset = Literal["daily", "weekly", "monthly"]
#: The windows a key's limit may reset in (``None``: it never resets).
LIMIT_RESETS: Final[tuple[LimitReset, ...]] = ("daily", "weekly", "monthly")
#: The fields ``PATCH /keys/{hash}`` takes, in the order they are shown.
FIELDS: Final = ("name", "disabled", "limit", "limit_reset", "include_byok_in_limit")


def check_key_hash(key_hash: object) -> str:
    """``key_hash`` (an ``ApiKey.hash_``) stripped; ConfigurationError, before any I/O, for anything else."""
    if not isinstance(key_hash, str) or not key_hash.strip():
        raise ConfigurationError(f"{term('key_hash')} must be a key's hash (ApiKey.hash_), a non-empty string.")
    return key_hash.strip()


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{term(name)} must be True or False, not {_shown(value)}.")
    return value


def _limit(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigurationError(
            f"{term('limit')} must be an amount of dollars, 0 or more, or None (no limit), not {_shown(value)}."
        )
    return float(value)


def _reset(value: object) -> LimitReset | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in LIMIT_RESETS:
        raise ConfigurationError(
            f"{term('limit_reset')} must be one of {', '.join(LIMIT_RESETS)}, or None (never), not {_shown(value)}."
        )
    return value


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{term('name')} must be a non-empty string, not {_shown(value)}.")
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 64 else text[:63] + "…"


def _disabled(value: object) -> bool:
    return _flag("disabled", value)


def _byok(value: object) -> bool:
    return _flag("include_byok_in_limit", value)


_CHECKS: dict[str, Callable[[object], object]] = {
    "name": _name,
    "disabled": _disabled,
    "limit": _limit,
    "limit_reset": _reset,
    "include_byok_in_limit": _byok,
}


class KeyUpdate(NamedTuple):
    """The fields to change (``FIELDS``), each with its new value; at least one. (A named tuple, not
    an attrs class: the client imports this module, and ``import openrouter_credits`` leaves attrs
    to the first result that needs it.)"""

    fields: Mapping[str, Any]

    @classmethod
    def of(cls, **given: Any) -> KeyUpdate:
        """The change of the fields given other than ``UNCHANGED``, each checked; a ConfigurationError
        naming the first one that is not what the API takes, or when nothing is to change."""
        unknown = [name for name in given if name not in _CHECKS]
        if unknown:
            raise ConfigurationError(f"A key has no field {unknown[0]!r}; its fields are {', '.join(FIELDS)}.")
        fields = {name: _CHECKS[name](given[name]) for name in FIELDS if given.get(name, UNCHANGED) is not UNCHANGED}
        if not fields:
            raise ConfigurationError(f"Nothing to change: give at least one of {', '.join(FIELDS)}.")
        return cls(MappingProxyType(fields))

    def body(self) -> Any:
        """The generated request body (``UpdateKeysBody``): the fields given, and only they."""
        from openrouter_credits_client.models.update_keys_body import UpdateKeysBody
        from openrouter_credits_client.models.update_keys_body_limit_reset_type_0 import (
            UpdateKeysBodyLimitResetType0,
        )

        fields = dict(self.fields)
        if fields.get("limit_reset") is not None:
            fields["limit_reset"] = UpdateKeysBodyLimitResetType0(fields["limit_reset"])
        return UpdateKeysBody(**fields)

    def before(self, key: ApiKey) -> dict[str, Any]:
        """The values of the fields this changes, as ``key`` has them."""
        return {name: getattr(key, name) for name in self.fields}

    def changes(self, key: ApiKey) -> dict[str, tuple[Any, Any]]:
        """``{field: (as key has it, as this sets it)}`` for each field whose value this changes."""
        return {
            name: (getattr(key, name), value)
            for name, value in self.fields.items()
            if not same_value(getattr(key, name), value)
        }

    def holds_for(self, key: ApiKey) -> bool:
        """Whether ``key`` has every field as this sets it (a change made, or one with nothing to do)."""
        return not self.changes(key)


def same_value(a: object, b: object) -> bool:
    """Whether two values of a key's field are the same (dollars to a millionth of a cent)."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b or (a == b and type(a) is type(b))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def key_call_error(error: APIStatusError, key_hash: str, update: KeyUpdate | None) -> APIStatusError:
    """A failed ``GET`` (``update`` None) or ``PATCH /keys/{hash}`` in the caller's words: an ordinary
    key's refusal (``_listing.refused_listing``), or no key of that hash."""
    from ._listing import refused_listing

    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return refused_listing(error, "read the account's keys" if update is None else "change the account's keys")
    return unknown_key(error, key_hash)


def unknown_key(error: APIStatusError, key_hash: str) -> APIStatusError:
    """What a 404 to ``GET`` or ``PATCH /keys/{hash}`` means: the account has no key with that hash (the
    document declares the 404 for it), said so in a sentence; another status is the error it was."""
    if error.status_code != 404:
        return error
    shown = key_hash if len(key_hash) <= 64 else key_hash[:63] + "…"
    description = (
        f"OpenRouter has no key with the hash {shown!r} (HTTP 404: {error.message}). Check the hash: "
        "list_keys() gives each key's (ApiKey.hash_)."
    )
    return restated(error, UnexpectedStatusError, description)
