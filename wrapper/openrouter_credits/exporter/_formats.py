"""How each service wants an alert (pure: an ``Alert`` in, what the service documents out), escaped
for what its receiver parses (Slack's mrkdwn, Discord's markdown and mentions, Teams' markdown,
mentions in plain-text chats) and cut to the service's documented limits, each cited where it is
applied; a header value is one clean line. ``_channels`` sends what these make."""

from __future__ import annotations

import base64
import email.message
import email.utils
import re
from typing import Any

from .._text import clean_text, fit
from ._alert import Alert

#: Colours of Discord embeds (amber for a warning, green for a recovery).
DISCORD_COLOURS = {"warning": 0xF2A900, "info": 0x2EB67D}
#: ntfy's tags (shown as emoji) and default priorities by severity.
NTFY_TAGS = {"warning": "warning", "info": "white_check_mark"}
NTFY_PRIORITIES = {"warning": "high", "info": "default"}
NTFY_PRIORITY_NAMES = ("min", "low", "default", "high", "max", "urgent")


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn: &, < and > as entities, so ``<!channel>`` or ``<https://x|click>`` in a name
    is shown, not parsed (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: Slack's documented limits (https://api.slack.com/reference/block-kit/blocks): a header block's
#: plain_text at most 150 characters, a section's text at most 3,000; the message's ``text``, shown in
#: notifications, is held to the section's.
SLACK_HEADER = 150
SLACK_SECTION = 3000


def slack_payload(alert: Alert) -> dict[str, Any]:
    """An incoming webhook's message: ``text`` for notifications, a header and a section as blocks."""
    text = fit(alert.text, SLACK_SECTION, "utf16", _slack_escape)
    return {
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": fit(alert.title, SLACK_HEADER, "utf16")}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        ],
    }


_DISCORD_MARKDOWN = re.compile(r"([\\*_~`|\[\]<>@])")


def _discord_escape(text: str) -> str:
    """Discord's markdown: a backslash before each character it formats with (bold, italics, code,
    spoilers, masked links, mentions, quotes) and before a heading's or a list's mark at the start, so
    a name shows as written."""
    text = _DISCORD_MARKDOWN.sub(r"\\\1", text)
    text = re.sub(r"^([#>+-])", r"\\\1", text)
    return re.sub(r"^(\d+)\.", r"\1\\.", text)


#: Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits
#: and .../resources/webhook#execute-webhook): content at most 2,000 characters, an embed's title 256,
#: its description 4,096, an embed's text 6,000 in all. Counted as JavaScript counts (UTF-16 units).
DISCORD_CONTENT = 2000
DISCORD_EMBED_TITLE = 256
DISCORD_EMBED_DESCRIPTION = 4096


def discord_payload(alert: Alert) -> dict[str, Any]:
    """A webhook's message: the title as content (what a push notification shows), an embed with the
    text; markdown escaped, and no mention of anyone parsed (``allowed_mentions``)."""
    title = fit(alert.title, DISCORD_EMBED_TITLE, "utf16", _discord_escape)
    return {
        "content": fit(alert.title, DISCORD_CONTENT, "utf16", _discord_escape),
        "embeds": [
            {
                "title": title,
                "description": fit(alert.text, DISCORD_EMBED_DESCRIPTION, "utf16", _discord_escape),
                "color": DISCORD_COLOURS[alert.severity],
            }
        ],
        "allowed_mentions": {"parse": []},
    }


#: A Teams webhook takes a message of at most 28 KB
#: (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook):
#: the title and text are held well under it, as UTF-8 (JSON escapes of quotes included).
TEAMS_TITLE_BYTES = 1000
TEAMS_TEXT_BYTES = 12_000


def teams_payload(alert: Alert) -> dict[str, Any]:
    """A Workflows (or incoming) webhook's message: one Adaptive Card with the title and the text, each
    a ``RichTextBlock`` of one ``TextRun``, which Adaptive Cards never read as markdown: a name's
    ``[link](https://...)`` shows as written."""
    colour = "Warning" if alert.severity == "warning" else "Good"
    title = {
        "type": "TextRun",
        "text": fit(alert.title, TEAMS_TITLE_BYTES, "bytes"),
        "weight": "Bolder",
        "size": "Medium",
        "color": colour,
    }
    text = {"type": "TextRun", "text": fit(alert.text, TEAMS_TEXT_BYTES, "bytes")}
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "RichTextBlock", "inlines": [title]},
                        {"type": "RichTextBlock", "inlines": [text]},
                    ],
                },
            }
        ],
    }


_MENTION = re.compile(r"@(?=\w)")


def _no_mentions(text: str) -> str:
    """A word joiner (U+2060) after each "@" that starts a word: ``@everyone``, ``@channel`` or
    ``@someone`` reads the same and notifies nobody, in the chats that read them from plain text."""
    return _MENTION.sub("@\u2060", text)


#: Telegram's sendMessage takes 1 to 4,096 characters of text after entities parsing
#: (https://core.telegram.org/bots/api#sendmessage), counted in UTF-16 units.
TELEGRAM_TEXT = 4096


def telegram_payload(chat_id: int | str, alert: Alert) -> dict[str, Any]:
    """sendMessage's parameters: plain text (no parse_mode, so no markup is read), no mention of
    anyone, no link preview fetched."""
    text = fit(f"{alert.title}\n{alert.text}", TELEGRAM_TEXT, "utf16", _no_mentions)
    return {"chat_id": chat_id, "text": text, "link_preview_options": {"is_disabled": True}}


def _header_value(text: str) -> str:
    """One line, ASCII as is; anything else as an RFC 2047 encoded word (which ntfy decodes)."""
    text = clean_text(text)
    if text.isascii():
        return text
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


#: ntfy publishes a message of at most 4,096 bytes as a message (a longer one becomes an attachment,
#: or is refused: https://docs.ntfy.sh/publish/#limitations); its title, a header, is kept short.
NTFY_MESSAGE_BYTES = 4096
NTFY_TITLE = 200


def ntfy_headers(alert: Alert, priority: str | None) -> dict[str, str]:
    """The publishing headers: Title (one line), Tags (emoji), Priority (the configured one, else by severity)."""
    return {
        "Title": _header_value(fit(alert.title, NTFY_TITLE)),
        "Tags": NTFY_TAGS[alert.severity],
        "Priority": priority or NTFY_PRIORITIES[alert.severity],
        "Content-Type": "text/plain; charset=utf-8",
    }


def ntfy_body(alert: Alert) -> bytes:
    """The message: the text, plain (ntfy reads markdown only when asked), within ntfy's limit."""
    return fit(alert.text, NTFY_MESSAGE_BYTES, "bytes").encode()


#: RFC 5322 holds a header line to 998 characters; the subject stays far under it.
EMAIL_SUBJECT = 200


def email_message(alert: Alert, sender: str, to: tuple[str, ...]) -> email.message.EmailMessage:
    """A plain-text message: subject ``[openrouter-credits] KEY: STATE``, the text as its body."""
    message = email.message.EmailMessage()
    message["Subject"] = fit(clean_text(f"[openrouter-credits] {alert.key}: {alert.state}"), EMAIL_SUBJECT)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["Message-ID"] = email.utils.make_msgid("openrouter-credits", domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders do not answer it
    message.set_content(f"{alert.text}\n")
    return message


#: The plain webhook is Slack's incoming webhook or one of its imitators (Mattermost, ...): its text is
#: escaped as Slack's mrkdwn and held to the 4,000 characters Slack asks of a message
#: (https://api.slack.com/changelog/2018-04-truncating-really-long-messages); mentions are defused for
#: those that read "@channel" from plain text (Mattermost).
WEBHOOK_TEXT = 4000


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """The generic webhook's ``{"text": ...}`` (what Slack-compatible receivers, Mattermost, ... take)."""
    return {"text": fit(alert.text, WEBHOOK_TEXT, "utf16", lambda text: _no_mentions(_slack_escape(text)))}
