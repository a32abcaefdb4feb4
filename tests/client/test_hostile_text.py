"""Text from OpenRouter is untrusted: what a body, a server's message or a header holds is made valid
where it is read (a lone surrogate becomes U+FFFD) and quoted printable where it is shown (control
characters as escapes, names shortened). Properties over hostile names, and the clients through
httpx.MockTransport."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from helpers import KEY
from hostile_names import LONG, SURROGATE_NAME, TERMINAL_NAME, hostile_text
from openrouter_credits import CreditsClient, ServerError
from openrouter_credits._text import ELLIPSIS, printable, shorten, shown, valid, valid_json
from openrouter_credits.testing._listing import listed_key
from openrouter_credits.testing._records import activity_row

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: What no shown text may hold: C0 and C1 controls, DEL, bidirectional controls, line separators, surrogates.
UNSAFE = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x61C, 0x200E, 0x200F, *range(0x2028, 0x202F)]}
UNSAFE |= {chr(c) for c in range(0x2066, 0x206A)} | {chr(c) for c in range(0xD800, 0xE000)}


def is_surrogate(char: str) -> bool:
    return 0xD800 <= ord(char) <= 0xDFFF


@PROPERTY_SETTINGS
@given(hostile_text)
def test_valid_text_encodes_and_keeps_what_was_valid(text: str) -> None:
    """valid(): UTF-8 always encodes it; only lone surrogates change, each to U+FFFD."""
    made = valid(text)
    made.encode()
    assert len(made) == len(text)
    assert all(m == ("\ufffd" if is_surrogate(t) else t) for m, t in zip(made, text, strict=True))


@PROPERTY_SETTINGS
@given(hostile_text)
def test_printable_text_is_one_safe_line(text: str) -> None:
    """printable(): nothing unsafe is left, it encodes, and text that was safe comes back as it was."""
    made = printable(text)
    assert not UNSAFE & set(made)
    made.encode()
    if not UNSAFE & set(text):
        assert made == text


@PROPERTY_SETTINGS
@given(hostile_text)
def test_shown_names_are_short_and_safe(text: str) -> None:
    """shown(): a name cut to 60 characters (with an ellipsis when cut), then made printable."""
    made = shown(text)
    assert not UNSAFE & set(made)
    assert shorten(text, 60) == text or made.endswith(ELLIPSIS)
    assert len(shown(LONG)) == 60


def test_valid_json_walks_nested_values_and_object_keys() -> None:
    raw = json.dumps({"a\ud800": ["x\udfff", {"deep": ["\ud83d"]}], "ok": "é"}).encode()
    assert valid_json(json.loads(raw), raw) == {"a\ufffd": ["x\ufffd", {"deep": ["\ufffd"]}], "ok": "é"}
    pair = json.dumps("🙂").encode()  # a valid pair of escapes is one character: nothing to change
    assert valid_json(json.loads(pair), pair) == "🙂"


def client_of(handler: Any) -> CreditsClient:
    return CreditsClient(KEY, max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(handler)))


@PROPERTY_SETTINGS
@given(st_names=hostile_text, extra=hostile_text)
def test_listed_names_are_valid_where_read(st_names: str, extra: str) -> None:
    """list_keys() of a page whose names (and the name of a field beyond the document) hold anything:
    every string encodes as UTF-8, and valid text comes through unchanged (JSON makes one character
    of a high and a low surrogate escape side by side)."""
    item = {**listed_key("named below", hash="ab" * 32), "name": st_names, "label": extra}
    item[extra] = extra  # a field beyond the document, named by upstream
    body = json.dumps({"data": [item]}).encode()  # as upstream writes it: a surrogate as "\ud800"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces"):  # an account without workspaces
            return httpx.Response(404, json={"error": {"code": 404, "message": "Not Found"}})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    with client_of(handler) as client:
        (key,) = client.list_keys()
    assert key.name == valid(json.loads(json.dumps(st_names)))
    assert key.label == valid(json.loads(json.dumps(extra)))
    for name, value in key.additional_properties.items():
        name.encode()
        if isinstance(value, str):
            value.encode()


def test_model_names_are_valid_where_read() -> None:
    """A model named with a lone surrogate reads as U+FFFD: by_model() and its sums work."""
    rows = [activity_row("2026-11-20", 1.0, model=SURROGATE_NAME), activity_row("2026-11-21", 2.0, model="ok/model")]
    body = json.dumps({"data": rows}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    with client_of(handler) as client:
        names = [spend.name for spend in client.get_activity().by_model()]
    assert names == ["ok/model", "bad\ufffdkey"]


@pytest.mark.parametrize("message", [TERMINAL_NAME, "two\nlines", "nul \x00base_url\x00 marker", LONG])
def test_a_servers_message_is_quoted_printable(message: str) -> None:
    """A 503 whose message holds ESC, BEL, NUL or newlines: the error's message is one printable line
    (NULs too, which would otherwise read as term()'s markers), and the settings are still named."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": 503, "message": message}}
        return httpx.Response(503, json=body, headers={"x-request-id": "req\x1b[2J\x07id"})

    with client_of(handler) as client, pytest.raises(ServerError) as raised:
        client.get_credits()
    for text in (str(raised.value), raised.value.describe({"base_url": "--base-url"}), raised.value.message):
        assert not UNSAFE & set(text), text
    assert "req\\x1b[2J\\x07id" in str(raised.value)
    if message == TERMINAL_NAME:
        assert "red\\x1b[31mbell\\x07nul\\x00end" in str(raised.value)
    if "marker" in message:
        assert "\\x00base_url\\x00" in raised.value.describe({"base_url": "--base-url"})
