"""An alert: one thing to tell people about a key, its text made safe and bounded whatever names it
quotes (``_text.clean_text``), and ``summary()``, which makes one notification of alike alerts."""

from __future__ import annotations

from typing import Literal

import attrs

from .._text import clean_text

__all__ = ["MAX_TEXT", "MAX_TITLE", "Alert", "Severity", "summary"]

Severity = Literal["warning", "info"]

#: The longest an alert's title, text and summary parts may be (characters), whatever its names hold:
#: an outbox entry stays under a few KB (each format cuts further to its service's limits).
MAX_TITLE = 200
MAX_TEXT = 1000


def _title(text: str) -> str:
    return clean_text(text, MAX_TITLE)


def _text(text: str) -> str:
    return clean_text(text, MAX_TEXT)


@attrs.frozen
class Alert:
    """One thing to tell people about a key. Never holds a secret; its text is clean (``clean_text``)
    and bounded, whatever names it quotes."""

    key: str = attrs.field(converter=_title)  # the key's name in the config file
    state: str = attrs.field(converter=_title)  # "below", "recovered", "spike", "key_will_exhaust", ...
    title: str = attrs.field(converter=_title)  # short: "team-a is below its threshold"
    text: str = attrs.field(converter=_text)  # one sentence: the key, the figure, the threshold, what to do
    severity: Severity = attrs.field(default="warning", validator=attrs.validators.in_(("warning", "info")))
    #: What it is about ("acct/3f9a1c2b7d4e key_below_fraction"): a newer alert about the same thing
    #: replaces one still waiting in the outbox (only the current state matters). "": never replaced.
    about: str = attrs.field(default="", converter=_title)
    #: Alike alerts waiting together for a channel go as one notification, "<n> <group>: <item>; ...".
    #: "": always sent alone.
    group: str = attrs.field(default="", converter=_title)
    item: str = attrs.field(default="", converter=_title)


def summary(alerts: list[Alert]) -> Alert:
    """One alert for several of the same ``group``: "37 keys listed by acct are below 10 % of their
    limits: ci ($0.50 of $10.00 left); web (...); and 30 more."; a single alert is itself."""
    if len(alerts) == 1:
        return alerts[0]
    first = alerts[0]
    head = f"{len(alerts)} {first.group}"
    room = MAX_TEXT - len(head) - len(": ; and 1000000 more.")
    shown: list[str] = []
    for alert in alerts:
        room -= len(alert.item) + 2
        if room < 0:
            break
        shown.append(alert.item)
    rest = len(alerts) - len(shown)
    listed = "; ".join([*shown, f"and {rest} more"] if rest else shown)
    return Alert(first.key, first.state, head, f"{head}: {listed}.", first.severity)
