"""Hostile text, as anyone who may name a key (or a model, or write an error message) could send it:
lone surrogates, NUL, CR/LF, ESC and BEL, right-to-left overrides, quotes and backslashes, the
roll-up's own name, 10 KB names. Hypothesis strategies and a few named examples."""

from __future__ import annotations

from hypothesis import strategies as st

#: Pieces that have broken something, or could.
PIECES = [
    "\ud800",  # a lone high surrogate (a JSON "\ud800" escape decodes to it)
    "\udfff",  # a lone low surrogate
    "\x00",  # NUL (term()'s marker)
    "\r\n",
    "\n",
    "\r",
    "\x1b[31m",  # ESC: a terminal colour
    "\x1b]0;owned\x07",  # ESC ] ... BEL: a terminal's title
    "\x07",  # BEL
    "\x9b",  # CSI, the C1 form of ESC [
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2028",  # LINE SEPARATOR
    '"',
    "\\",
    "'",
    "<b>",
    "&amp;",
    "other",
    "~",
    "é",
    "名",
    "🙂",
]

#: A 10 KB name.
LONG = "x" * 10_000
#: Named examples for tests that want them as they are.
SURROGATE_NAME = "bad\ud800key"
NEWLINE_NAME = "line1\nline2\r\nline3"
TERMINAL_NAME = "red\x1b[31mbell\x07nul\x00end"
RTL_NAME = "invoice-\u202efdp.exe"

#: Any text, surrogates included (hypothesis's text() leaves them out unless asked).
_ANY = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)

hostile_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(PIECES), _ANY), min_size=1, max_size=6).map("".join),
    st.sampled_from([LONG, SURROGATE_NAME, NEWLINE_NAME, TERMINAL_NAME, RTL_NAME, "other", "~other", ""]),
)
