"""Which key of the account a person (``keys disable KEY``) or a guard (``keys = [...]``) names, and
whether a listed key is the very key making the calls.

- A key is named by its name, its label (``sk-or-v1-abc...wxyz``), or a prefix of its hash of at least
  ``MIN_HASH_PREFIX`` hex digits (``1a2b3c4d``): ``choose()``. A name several keys share is refused,
  listing them, never guessed.
- The key a command or a guard runs with is never changed by it (``is_own``): a listed key is that key
  when its hash is the SHA-256 of the key (as OpenRouter hashes keys) or its label is the label
  ``GET /key`` gives the key. Either match counts: a false match only spares a key.

Pure functions over listed keys: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from .._exceptions import ConfigurationError
from .._text import shown
from .teams import HASH_PREFIX_DIGITS

if TYPE_CHECKING:
    from .._api_key import ApiKey

__all__ = [
    "HASH_PREFIX",
    "MIN_HASH_PREFIX",
    "KeyChoiceError",
    "choose",
    "described",
    "is_own",
    "own_test",
    "rows",
    "short_hash",
]

#: As a team's ``keys`` take a hash prefix (``teams``): this many hex digits or more.
MIN_HASH_PREFIX: Final = HASH_PREFIX_DIGITS
#: A hash prefix: hex digits, at least ``MIN_HASH_PREFIX`` of them.
HASH_PREFIX: Final = re.compile(f"[0-9a-fA-F]{{{MIN_HASH_PREFIX},}}")
#: How many hex digits of a hash messages show.
SHOWN_HASH: Final = 12


class KeyChoiceError(ConfigurationError):
    """No key, or several, answer to what was given; ``candidates`` are the several (else empty)."""

    def __init__(self, message: str, candidates: Sequence[ApiKey] = ()) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


def short_hash(key: ApiKey) -> str:
    return key.hash_[:SHOWN_HASH]


def _workspace(key: ApiKey) -> str:
    from .._api_key import workspace_of

    return shown(key.workspace_name or workspace_of(key) or "-")


def described(key: ApiKey) -> str:
    """``ci-nightly (sk-or-v1-abc...wxyz, workspace Research, hash 1a2b3c4d5e6f)``: which key it is, in a
    sentence (names shown safely)."""
    return f"{shown(key.name)} ({shown(key.label)}, workspace {_workspace(key)}, hash {short_hash(key)})"


def rows(keys: Sequence[ApiKey]) -> list[str]:
    """One line per key, in columns: name, label, workspace, hash prefix (names shown safely)."""
    table = [(shown(key.name), shown(key.label), _workspace(key), short_hash(key)) for key in keys]
    widths = [max(len(row[i]) for row in table) for i in range(4)] if table else []
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in table]


def choose(keys: Sequence[ApiKey], text: str, what: str = "KEY") -> ApiKey:
    """The one key ``text`` names: by name, else label, else hash prefix (``MIN_HASH_PREFIX`` hex
    digits or more). ``KeyChoiceError`` (``what`` names the setting) when none or several do."""
    text = text.strip()
    for field in ("name", "label"):
        found = [key for key in keys if getattr(key, field) == text]
        if len(found) == 1:
            return found[0]
        if found:
            raise KeyChoiceError(
                f"{what}: {len(found)} keys have the {field} {shown(text)!r}: give the hash prefix of one "
                f"({MIN_HASH_PREFIX} hex digits or more) instead.",
                found,
            )
    if HASH_PREFIX.fullmatch(text):
        found = [key for key in keys if key.hash_.lower().startswith(text.lower())]
        if len(found) == 1:
            return found[0]
        if found:
            raise KeyChoiceError(f"{what}: {len(found)} keys have hashes starting {text!r}: give more digits.", found)
    raise KeyChoiceError(
        f"{what}: no key of the account has the name or label {shown(text)!r}"
        + (f", nor a hash starting {text!r}" if HASH_PREFIX.fullmatch(text) else "")
        + f" (a hash prefix is {MIN_HASH_PREFIX} hex digits or more). openrouter-credits keys --include-disabled "
        "lists them."
    )


def is_own(key: ApiKey, secret: str | None, own_label: str | None) -> bool:
    """Whether the listed ``key`` is the key ``secret`` (whose ``GET /key`` label is ``own_label``)."""
    return own_test(secret, own_label)(key)


def own_test(secret: str | None, own_label: str | None) -> Callable[[ApiKey], bool]:
    """``is_own`` for many keys: the key's hash worked out once."""
    own_hash = hashlib.sha256(secret.encode()).hexdigest() if secret else None

    def test(key: ApiKey) -> bool:
        return (own_hash is not None and key.hash_.lower() == own_hash) or (bool(own_label) and key.label == own_label)

    return test
