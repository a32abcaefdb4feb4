"""Alerts quoting hostile names (anyone in an organization can name a key): every format stays within
its service's documented limits, well formed, with headers on one line, and escaped for what its
receiver parses, whatever the name holds (lone surrogates, newlines, control characters, 10 KB,
mentions and links); a group of alike alerts is summed up in one."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_channels import Service, send, start, stop

from openrouter_credits._text import clean_text
from openrouter_credits.exporter._alert import Alert, summary
from openrouter_credits.exporter._channels import HOOK_CHANNELS, NtfyChannel
from openrouter_credits.exporter._formats import (
    discord_payload,
    email_message,
    ntfy_body,
    ntfy_headers,
    slack_payload,
    teams_payload,
    telegram_payload,
    webhook_payload,
)

#: Any text at all, lone surrogates and control characters included, up to 10 KB.
HOSTILE = st.text(st.characters(codec=None, exclude_categories=()), max_size=10_000) | st.sampled_from(
    [
        "bad\ud800key",
        "line1\nline2",
        "x" * 10_000,
        "é" * 10_000,
        "😀" * 5_000,
        "<!channel> @everyone <https://evil.example|click>",
        "[link](https://evil.example)",
        "\u202egnp.exe",
    ]
)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def hostile_alert(name: str) -> Alert:
    return Alert(
        "acct",
        "key_below_fraction",
        f"{name} (acct) near its limit",
        f"OpenRouter key {name} (listed by acct) has $0.50 of its $10.00 limit left.",
        "warning",
    )


def encodable(value: Any) -> bytes:
    """What httpx sends: strict UTF-8 JSON (a lone surrogate would raise here)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@settings(max_examples=60, deadline=None)
@given(name=HOSTILE)
def test_every_format_holds_any_name_within_its_limits(name: str) -> None:
    """Whatever a name holds, each payload encodes as UTF-8 and stays within its service's documented
    limits (Slack 150/3,000, Discord 2,000/256/4,096, Teams 28 KB, Telegram 4,096, ntfy 4,096 bytes,
    the plain webhook 4,000); header values are one printable line."""
    alert = hostile_alert(name)
    slack = slack_payload(alert)
    assert utf16(slack["blocks"][0]["text"]["text"]) <= 150
    assert utf16(slack["blocks"][1]["text"]["text"]) <= 3000
    assert utf16(slack["text"]) <= 3000
    discord = discord_payload(alert)
    assert utf16(discord["content"]) <= 2000
    embed = discord["embeds"][0]
    assert utf16(embed["title"]) <= 256
    assert utf16(embed["description"]) <= 4096
    assert utf16(embed["title"]) + utf16(embed["description"]) <= 6000
    assert len(encodable(teams_payload(alert))) <= 28 * 1024
    assert utf16(telegram_payload(1, alert)["text"]) <= 4096
    assert len(ntfy_body(alert)) <= 4096
    assert utf16(webhook_payload(alert)["text"]) <= 4000
    for payload in (slack, discord, teams_payload(alert), telegram_payload(1, alert), webhook_payload(alert)):
        encodable(payload)
    for value in ntfy_headers(alert, None).values():
        assert value.isascii()
        assert value.isprintable()
    message = email_message(alert, "alerts@example.org", ("ops@example.org",))
    assert len(message.as_bytes()) < 8192


def test_a_10kb_name_no_longer_makes_oversized_bodies() -> None:
    """The 10 KB name that made Discord's body 30,949 bytes and Slack's 20,909: each within its limits
    now, with the cut marked."""
    alert = hostile_alert("n" * 10_000)
    discord, slack = encodable(discord_payload(alert)), encodable(slack_payload(alert))
    assert len(discord) < 6500
    assert len(slack) < 6500
    assert discord_payload(alert)["embeds"][0]["title"].endswith("…")


def test_mentions_and_links_are_escaped_for_each_receiver() -> None:
    """``<!channel> @everyone <https://evil.example|click>`` and ``[link](https://evil.example)``: Slack's
    mrkdwn gets entities; the plain webhook too, with mentions defused (a word joiner after @); Discord
    gets backslashes and no parsed mentions; Teams a TextRun (never markdown); Telegram plain text,
    mentions defused, no link preview."""
    alert = Alert(
        "acct",
        "below",
        "<!channel> @everyone [link](https://evil.example)",
        "<!channel> @everyone <https://evil.example|click> [link](https://evil.example)",
    )
    assert webhook_payload(alert) == {
        "text": "&lt;!channel&gt; @\u2060everyone &lt;https://evil.example|click&gt; [link](https://evil.example)"
    }
    assert slack_payload(alert)["blocks"][1]["text"]["text"] == (
        "&lt;!channel&gt; @everyone &lt;https://evil.example|click&gt; [link](https://evil.example)"
    )
    discord = discord_payload(alert)
    assert discord["content"] == r"\<!channel\> \@everyone \[link\](https://evil.example)"
    assert discord["embeds"][0]["description"] == (
        r"\<!channel\> \@everyone \<https://evil.example\|click\> \[link\](https://evil.example)"
    )
    assert discord["allowed_mentions"] == {"parse": []}
    body = teams_payload(alert)["attachments"][0]["content"]["body"]
    assert [block["type"] for block in body] == ["RichTextBlock", "RichTextBlock"]
    assert body[1]["inlines"] == [{"type": "TextRun", "text": alert.text}]
    telegram = telegram_payload("@ops", alert)
    assert "parse_mode" not in telegram
    assert "@everyone" not in telegram["text"]
    assert telegram["link_preview_options"] == {"is_disabled": True}


def test_alert_text_is_clean() -> None:
    """An alert keeps valid Unicode on one line: a lone surrogate becomes U+FFFD, newlines and escapes
    spaces, a right-to-left override U+FFFD; its text is bounded."""
    alert = Alert("k", "below", "bad\ud800key\nline2", "x\x1b[31m\u202eevil" + "y" * 5000)
    assert alert.title == "bad\ufffdkey line2"
    assert alert.text.startswith("x [31m\ufffdevil")
    assert len(alert.text) == 1000
    assert alert.text.endswith("…")
    assert clean_text("a\r\n\tb") == "a b"


def test_an_ntfy_title_with_a_newline_is_delivered() -> None:
    """A key named ``line1\\nline2`` made every ntfy send fail (its title goes into a header): it is
    published, the title on one line."""
    receiver = start("ntfy")
    try:
        receiver.serve("/alerts")
        target = NtfyChannel("phone", "alerts", receiver.url)
        send(target, Alert("acct", "below", "line1\nline2 (acct) near its limit", "text"))
    finally:
        stop(receiver)
    [request] = receiver.requests
    assert request.headers["Title"] == "line1 line2 (acct) near its limit"


def test_a_summary_counts_and_lists_within_bounds() -> None:
    """Alike alerts in one: the count, the group, as many items as fit, "and N more"."""
    group = "keys listed by acct are below 10 % of their limits"
    alerts = [
        Alert("acct", "key_below_fraction", "t", "x", group=group, item=f"k{n} ($0.50 of $10.00 left)")
        for n in range(20)
    ]
    one = summary(alerts)
    assert one.title == f"20 {group}"
    assert one.text.startswith(f"20 {group}: k0 ($0.50 of $10.00 left); k1 ($0.50 of $10.00 left); ")
    assert one.text.endswith("; k19 ($0.50 of $10.00 left).")
    many = summary([*alerts] * 30)
    assert many.text.endswith(" more.")
    assert len(many.text) <= 1000
    assert summary(alerts[:1]) == alerts[0]


@pytest.mark.parametrize("service", ["slack", "discord", "teams", "webhook"])
def test_hostile_names_reach_a_receiver(service: str) -> None:
    """A lone surrogate, a newline and a 10 KB name in one alert: each webhook format is sent, as UTF-8
    JSON, and taken."""
    receiver: Service = start(service)
    try:
        url = receiver.serve("/hook")
        send(HOOK_CHANNELS[service]("hook", url), hostile_alert("bad\ud800key\nline2" + "z" * 10_000))
    finally:
        stop(receiver)
    [request] = receiver.requests
    assert "\ufffd" in request.body.decode("utf-8")
    assert httpx.Headers(request.headers)["content-type"] == "application/json"
