"""Text from outside (key names, model names, error messages from OpenRouter) made safe to keep and to show.

Any member of an organization can name a key, so a name may hold anything JSON can carry:

- ``valid(text)``: a lone surrogate (what a JSON escape such as ``\\ud800`` decodes to) becomes U+FFFD,
  so the text encodes as UTF-8 wherever it goes (a label, the page, a log line, the terminal). A body
  is made valid once, where it is read (``valid_json``, called by ``_call/body.py``).
- ``printable(text)``: control characters (C0, DEL, C1: newlines, ESC, BEL, NUL, ...), the
  bidirectional controls (a right-to-left override) and the line separators are written as escapes
  (``\\n``, ``\\x1b``, ``\\u202e``): one line that no terminal acts on and nothing reorders. For
  logs, /healthz, the terminal and error messages.
- ``shorten(text, limit)``: at most ``limit`` characters, a cut ending in an ellipsis.
- ``shown(name)``: a name as logs and text output show it: printable and shortened.
- ``clean_text(text, limit)``: what an alert may hold: valid, on one line (a run of control
  characters becomes one space), no bidirectional controls (each U+FFFD, visibly), bounded;
  ``fit(text, limit, unit, escape)`` cuts an escaped text to a service's limit without halving an
  escape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ._defaults import SHOWN_NAME_CHARS

__all__ = ["ELLIPSIS", "clean_text", "fit", "printable", "shorten", "shown", "toml_value", "valid", "valid_json"]

ELLIPSIS = "…"

_SURROGATE = re.compile("[\ud800-\udfff]")
#: C0 and C1 controls, DEL, the bidirectional marks, embeddings, overrides and isolates, the line and
#: paragraph separators, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: What in a JSON body may decode to a lone surrogate: a ``\\uD800``-``\\uDFFF`` escape, or the UTF-8
#: form of a surrogate (which ``json.loads`` of bytes decodes with ``surrogatepass``).
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def valid(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (the rest as it was)."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def valid_json(value: Any, raw: bytes | None = None) -> Any:
    """Parsed JSON with every string made ``valid`` (object keys too), changed in place where needed.
    ``raw``: the bytes it was parsed from; when they cannot hold a surrogate, nothing is walked."""
    if raw is not None and not _MAYBE_SURROGATE.search(raw):
        return value
    if isinstance(value, str):
        return valid(value)
    stack = [value] if isinstance(value, list | dict) else []
    while stack:  # not recursive: a body may nest as deep as the JSON parser allows
        node = stack.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = valid(item)
                elif isinstance(item, list | dict):
                    stack.append(item)
            continue
        if any(valid(name) is not name for name in node):
            items = list(node.items())
            node.clear()
            node.update((valid(name), item) for name, item in items)
        for name, item in node.items():
            if isinstance(item, str):
                node[name] = valid(item)
            elif isinstance(item, list | dict):
                stack.append(item)
    return value


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters, bidirectional controls, line separators and lone surrogates
    written as escapes (``\\n``, ``\\x1b``, ``\\u202e``, ``\\ud800``)."""
    if text.isprintable():  # the common case: nothing to escape (a space is printable, a tab is not)
        return text
    return _UNSAFE.sub(_escape, text)


def shorten(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and an ellipsis, ``limit`` in all."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def shown(name: str, limit: int = SHOWN_NAME_CHARS) -> str:
    """A name from outside as a log line or the terminal shows it: shortened, then made printable."""
    return printable(shorten(name, limit))


#: The most items of a list or table ``toml_value`` shows.
_TOML_ITEMS = 5


def toml_value(value: object) -> str:
    """A value read from a TOML file as TOML spells it, for a message about the file: ``true``,
    ``"text"`` (shortened, printable), ``5``, ``inf``, ``[1, "a"]``, ``{a = 1}``, a date as written
    (lists and tables up to ``_TOML_ITEMS`` items)."""
    import json
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return printable(json.dumps(shorten(value, 40), ensure_ascii=False))
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        items = [toml_value(item) for item in value[:_TOML_ITEMS]]
        return "[" + ", ".join(items + ["..."] * (len(value) > _TOML_ITEMS)) + "]"
    if isinstance(value, dict):
        pairs = [f"{shown(str(key), 40)} = {toml_value(item)}" for key, item in list(value.items())[:_TOML_ITEMS]]
        return "{" + ", ".join(pairs + ["..."] * (len(value) > _TOML_ITEMS)) + "}"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return shown(str(value), 40)


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: Characters that reorder the text around them (Unicode's bidirectional controls): shown as U+FFFD.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str, limit: int | None = None) -> str:
    """``text`` as an alert may hold it: valid Unicode (a lone surrogate becomes U+FFFD), on one line
    (a run of control characters, newlines included, becomes one space), no bidirectional controls
    (each becomes U+FFFD, visibly), at most ``limit`` characters (a cut ends in "…")."""
    if not text.isprintable():  # all that follows is not printable (Python's "Other" and "Separator")
        text = _BIDI.sub("\ufffd", _SURROGATE.sub("\ufffd", text))
        text = _CONTROLS.sub(" ", text)
    return text if limit is None or len(text) <= limit else fit(text, limit)


def _size(text: str, unit: str) -> int:
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    if unit == "bytes":
        return len(text.encode())
    return len(text)


def fit(text: str, limit: int, unit: str = "chars", escape: Callable[[str], str] | None = None) -> str:
    """``escape(text)`` if it is at most ``limit`` long (``unit``: "chars", code points; "utf16", UTF-16
    code units, as JavaScript and Telegram count; "bytes", UTF-8), else the escape of the longest
    start of ``text`` that fits with "…" after it (escapes are never cut in half)."""
    escape = escape or (lambda part: part)
    whole = escape(text)
    if _size(whole, unit) <= limit:
        return whole
    low, high = 0, min(len(text), limit)
    while low < high:  # the longest start that fits: at most log2(limit) trials
        middle = (low + high + 1) // 2
        if _size(escape(text[:middle]) + ELLIPSIS, unit) <= limit:
            low = middle
        else:
            high = middle - 1
    return escape(text[:low]) + ELLIPSIS
