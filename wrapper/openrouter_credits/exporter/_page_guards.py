"""The guards' part of the status page (``[guard.NAME]`` tables of ``serve``): each guard's rule, its
mode (a dry run or acting), the changes it owes undoing, the keys it will not act on and why, and its
last actions. A pure function of the ``GuardView``s, like the rest of the page (``_page``); names from
OpenRouter shown as the page shows them (shortened, isolated, escaped)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from .._apps.journal import changes_text
from ._page_text import shown_name, shown_text

if TYPE_CHECKING:
    from ._guards import GuardView

__all__ = ["guards_section"]


def guards_section(guards: Iterable[GuardView]) -> str:
    """Each guard: its rule, its mode (dry run or acting), the restores it owes, what it will not act
    on, and its last actions (names from OpenRouter shown safely)."""
    parts = []
    for guard in guards:
        mode = "below" if guard.mode == "acting" else "unchecked"
        head = (
            f'<section class="key" id="guard-{escape(guard.name)}"><h2>Guard {escape(guard.name)}'
            f'<span class="state {mode}">{escape(guard.mode)}</span></h2><p>{escape(guard.rule)}; '
            f"{guard.pending} change(s) to undo.</p>"
        )
        problems = "".join(f'<p class="reason">Not acting on {shown_text(problem)}</p>' for problem in guard.problems)
        rows = [
            f"<tr><td>{entry.at:%Y-%m-%d %H:%M} UTC</td><td class=name>{shown_name(entry.key_name)}</td>"
            f"<td>{escape(entry.action)}</td><td>{escape(entry.outcome)}</td>"
            f"<td>{shown_text(changes_text(entry.before, entry.after))}</td><td>{shown_text(entry.reason)}</td></tr>"
            for entry in reversed(guard.last)
        ]
        table = (
            "<table><tr><th>Time</th><th>Key</th><th>Action</th><th>Outcome</th><th>Change</th><th>Why</th></tr>"
            + "".join(rows)
            + "</table>"
            if rows
            else "<p>No actions since the start.</p>"
        )
        parts.append(head + problems + table + "</section>")
    return "".join(parts)
