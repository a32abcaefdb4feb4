"""Our loggers' names, and log output that never shows a secret: for ``--debug`` and the exporter's log.

Two loggers, each named once here and fetched by that name (``logging.getLogger(EXPORTER_LOGGER)``),
never by a module's ``__name__``: people configure them by name, so a name must not move when a
private module does. ``openrouter_credits`` (``LIBRARY_LOGGER``, the one the README names) says what
the library's calls do: a DEBUG line per attempt and per retry. ``openrouter_credits.exporter``
(``EXPORTER_LOGGER``), its child, is ``serve``'s: polls, alerts, deliveries, the state directory, the
HTTP side; it takes the level set on its parent and its records reach the parent's handlers.

Secrets (API keys, webhook URLs, bot tokens) are registered with ``register_secret`` when they are
read; a filter on our handler replaces each, and anything shaped like an OpenRouter key or a bearer
credential, before a line is written. The same filter keeps a record on one line: control characters
in its message (a key name's newline, an error message's ESC or NUL) are written as escapes
(``_text.printable``), so what OpenRouter sends can neither forge a log line nor drive a terminal;
a message longer than ``MAX_LOG_MESSAGE`` characters is cut (names are shortened where they are
logged: this is the bound behind them). httpx and httpcore, which print URLs and headers, are kept
at WARNING: what they would say of a request our own DEBUG lines say without the secrets.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from . import _defaults
from ._text import printable, shorten

__all__ = [
    "EXPORTER_LOGGER",
    "LIBRARY_LOGGER",
    "RedactingFilter",
    "configure",
    "debug_logging",
    "redact",
    "register_secret",
    "without_secrets",
]

LIBRARY_LOGGER = "openrouter_credits"
EXPORTER_LOGGER = f"{LIBRARY_LOGGER}.exporter"
# The library convention: a script that set up no logging hears nothing of retries.
logging.getLogger(LIBRARY_LOGGER).addHandler(logging.NullHandler())

REDACTED = "[redacted]"
#: The longest message a log record keeps (a cut one ends with an ellipsis).
MAX_LOG_MESSAGE = 4000
_PATTERNS = re.compile(r"sk-or-[A-Za-z0-9_-]+|(?i:bearer)\s+[^\s'\",]+")
_secrets: set[str] = set()
_QUIET = ("httpx", "httpcore", "hpack")


def register_secret(value: str | None) -> None:
    """Never show ``value`` in a log line from now on."""
    if value and len(value) >= _defaults.MIN_REDACTED_KEY_LENGTH:
        _secrets.add(value)


def without_secrets(text: str) -> str:
    """``text`` with every registered secret replaced (what a server sent, before it is shown)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(text: str) -> str:
    """``text`` with every registered secret and every key-shaped string replaced."""
    return _PATTERNS.sub(REDACTED, without_secrets(text))


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and its traceback text) with the secrets redacted, on one line
    (control characters as escapes) and at most ``MAX_LOG_MESSAGE`` characters."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = printable(shorten(redact(record.getMessage()), MAX_LOG_MESSAGE))
        record.msg, record.args = message, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure(level: int, stream: TextIO | None = None, fmt: str = "%(asctime)s %(levelname)s %(message)s") -> None:
    """One handler on the root logger, redacting, at ``level``; httpx and httpcore kept quiet."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(logging.Formatter(fmt))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # A log line that cannot be written (a closed stderr) is dropped, not reported with a traceback.
    logging.raiseExceptions = False


def debug_logging(stream: TextIO | None = None) -> None:
    """``--debug``: every DEBUG line of ours, named by logger, redacted."""
    configure(logging.DEBUG, stream, "%(asctime)s %(name)s %(levelname)s %(message)s")


# httpx logs each request's URL at INFO, and httpcore its headers at DEBUG, on their own loggers: a
# filter there redacts them for every handler, ours or the application's (a webhook URL's token).
for _name in _QUIET:
    logging.getLogger(_name).addFilter(RedactingFilter())
