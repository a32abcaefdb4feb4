"""How the status page (``_page``) shows words and figures, the same in each of its parts.

Text from OpenRouter (key and model names, error messages) is untrusted: a name is shortened (the
whole name in a ``title``), isolated (``<bdi>``: a right-to-left name cannot reorder what is around
it), its control characters shown as escapes, and escaped; a reason or a note is one line, escaped.
An unknown amount is ``unknown``, never $0.
"""

from __future__ import annotations

from html import escape

from .._defaults import SHOWN_NAME_CHARS
from .._format import money
from .._text import printable, shorten

__all__ = ["STATE_WORDS", "amount", "dollars", "shown_name", "shown_text"]

#: A watched key's state (``KeyView.state``) in words.
STATE_WORDS = {
    "starting": "starting",
    "ok": "ok",
    "below": "below threshold",
    "unchecked": "threshold unchecked",
    "failing": "failing",
}


def shown_name(name: str) -> str:
    """A name from OpenRouter as the page shows it: its control characters as escapes, shortened
    (the whole name in a ``title``), isolated from the text around it (``<bdi>``)."""
    whole = printable(name)
    short = shorten(whole, SHOWN_NAME_CHARS)
    title = "" if short == whole else f' title="{escape(whole)}"'
    return f"<bdi{title}>{escape(short)}</bdi>"


def shown_text(text: str) -> str:
    """A reason or a note (which may quote OpenRouter's text): one line, escaped."""
    return escape(printable(text))


def amount(value: float | None) -> str:
    return "unknown" if value is None else money(value)


def dollars(value: float) -> str:
    """``money``, quicker for the common case (a chart has a bar a day for each key)."""
    return f"${value:,.2f}" if value >= 0.005 else money(value)
