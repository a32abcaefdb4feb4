"""Where alerts go: Slack, Discord, Teams, Telegram, ntfy, email, or a plain ``{"text": ...}`` webhook.

Each channel formats an ``Alert`` as its service documents it and sends it once per ``send()``; any
failure (a status other than 2xx, a redirect, a network error, a timeout, an SMTP error) raises
``DeliveryError``, whose message names the channel and the receiver's host, never its token. Retrying
is the deliverer's business (``_delivery``), not the channel's.

``_notify_tables`` reads the ``[notify.NAME]`` tables of the ``--config`` file into channels. No
repr, message or payload carries a channel's secret.

Why not Apprise: it follows redirects unless told not to (a webhook's token would go wherever the
redirect points); it reports a bool, where a failure here says which receiver answered what; it runs
blocking ``requests`` calls in threads, where the exporter has one event loop and httpx already; it
adds six dependencies (requests, requests-oauthlib, click, markdown, PyYAML, certifi) to a package that
runs on two (httpx, attrs); and the outbox (``_delivery``), which keeps alerts across failures and restarts, would
stay anyway. Each format here is a few lines, tested against a receiver that speaks it.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import email.message
import email.utils
import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import attrs
import httpx

from .. import _defaults
from .._logging import EXPORTER_LOGGER

__all__ = [
    "HOOK_CHANNELS",
    "Alert",
    "Channel",
    "DeliveryError",
    "DiscordChannel",
    "EmailChannel",
    "HookChannel",
    "NtfyChannel",
    "SlackChannel",
    "TeamsChannel",
    "TelegramChannel",
    "WebhookChannel",
    "redact_url",
]

logger = logging.getLogger(EXPORTER_LOGGER)

Severity = Literal["warning", "info"]

#: Colours of Discord embeds (amber for a warning, green for a recovery).
DISCORD_COLOURS = {"warning": 0xF2A900, "info": 0x2EB67D}
#: ntfy's tags (shown as emoji) and default priorities by severity.
NTFY_TAGS = {"warning": "warning", "info": "white_check_mark"}
NTFY_PRIORITIES = {"warning": "high", "info": "default"}
NTFY_PRIORITY_NAMES = ("min", "low", "default", "high", "max", "urgent")


@attrs.frozen
class Alert:
    """One thing to tell people about a key. Never holds a secret."""

    key: str  # the key's name in the config file
    state: str  # "below", "recovered", "spike", "key_will_exhaust", ...
    title: str  # short: "team-a is below its threshold"
    text: str  # one sentence: the key, the figure, the threshold, what to do
    severity: Severity = attrs.field(default="warning", validator=attrs.validators.in_(("warning", "info")))


class DeliveryError(Exception):
    """A channel could not deliver an alert. The message names the channel, never its secret."""

    #: What kind of failure this is, as ``OpenRouterCreditsError.kind`` says it of a call to OpenRouter
    #: (one kind: it is not one of ``ERROR_KINDS``, which ``poll_errors_total`` counts by).
    kind = "delivery"


def redact_url(url: str | httpx.URL) -> str:
    """A URL as it may be shown: scheme and host only (the path and query may carry a token)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<url>"
    return f"{parsed.scheme}://{parsed.host}/…"


# --- the formats (pure: an alert in, what the service documents out) ----------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: Alert) -> dict[str, Any]:
    """An incoming webhook's message: ``text`` for notifications, a header and a section as blocks."""
    return {
        "text": _slack_escape(alert.text),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": alert.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(alert.text)}},
        ],
    }


def discord_payload(alert: Alert) -> dict[str, Any]:
    """A webhook's message: the title as content (what a push notification shows), an embed with the text."""
    return {
        "content": alert.title,
        "embeds": [{"title": alert.title, "description": alert.text, "color": DISCORD_COLOURS[alert.severity]}],
        "allowed_mentions": {"parse": []},
    }


def teams_payload(alert: Alert) -> dict[str, Any]:
    """A Workflows (or incoming) webhook's message: one Adaptive Card with the title and the text."""
    colour = "Warning" if alert.severity == "warning" else "Good"
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
                        {
                            "type": "TextBlock",
                            "text": alert.title,
                            "weight": "Bolder",
                            "size": "Medium",
                            "color": colour,
                            "wrap": True,
                        },
                        {"type": "TextBlock", "text": alert.text, "wrap": True},
                    ],
                },
            }
        ],
    }


def telegram_payload(chat_id: int | str, alert: Alert) -> dict[str, Any]:
    """sendMessage's parameters: plain text (no parse_mode, so nothing needs escaping)."""
    return {"chat_id": chat_id, "text": f"{alert.title}\n{alert.text}"}


def _header_value(text: str) -> str:
    """ASCII as is; anything else as an RFC 2047 encoded word (which ntfy decodes)."""
    if text.isascii():
        return text
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


def ntfy_headers(alert: Alert, priority: str | None) -> dict[str, str]:
    """The publishing headers: Title, Tags (emoji), Priority (the configured one, else by severity)."""
    return {
        "Title": _header_value(alert.title),
        "Tags": NTFY_TAGS[alert.severity],
        "Priority": priority or NTFY_PRIORITIES[alert.severity],
        "Content-Type": "text/plain; charset=utf-8",
    }


def email_message(alert: Alert, sender: str, to: tuple[str, ...]) -> email.message.EmailMessage:
    """A plain-text message: subject ``[openrouter-credits] KEY: STATE``, the text as its body."""
    message = email.message.EmailMessage()
    message["Subject"] = f"[openrouter-credits] {alert.key}: {alert.state}"
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["Message-ID"] = email.utils.make_msgid("openrouter-credits", domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders do not answer it
    message.set_content(f"{alert.text}\n")
    return message


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """The generic webhook's ``{"text": ...}`` (what Slack-compatible receivers, Mattermost, ... take)."""
    return {"text": alert.text}


# --- the channels ----------------------------------------------------------------------------------


@attrs.frozen(repr=False, eq=False)
class Channel(abc.ABC):
    """Somewhere alerts go; ``send()`` delivers one or raises ``DeliveryError``."""

    kind: ClassVar[str] = ""
    name: str

    @abc.abstractmethod
    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:
        """Deliver ``alert`` once, within ``timeout`` seconds; ``DeliveryError`` when it did not go."""

    def describe(self) -> str:
        """How messages name the channel: its kind, name and receiver (no secret)."""
        return f"The {self.kind} channel {self.name}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, kind={self.kind!r})"


async def _post(
    channel: Channel,
    http: httpx.AsyncClient,
    url: str,
    *,
    timeout: float,
    json: Any = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """One POST, never following a redirect, its body left unread; DeliveryError unless 2xx."""
    request = http.build_request("POST", url, json=json, content=content, headers=headers, timeout=timeout)
    try:
        async with asyncio.timeout(timeout):
            response = await http.send(request, stream=True, follow_redirects=False)
            await response.aclose()
    except (TimeoutError, httpx.TimeoutException):
        raise DeliveryError(f"{channel.describe()} gave no answer within {timeout:g} s.") from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{channel.describe()} could not be reached ({type(exc).__name__}).") from None
    status = response.status_code
    if 300 <= status < 400:
        raise DeliveryError(
            f"{channel.describe()} answered HTTP {status}, a redirect, which is not followed: check its URL."
        )
    if not 200 <= status < 300:
        raise DeliveryError(f"{channel.describe()} answered HTTP {status}.")


@attrs.frozen(repr=False, eq=False)
class HookChannel(Channel):
    """A channel that POSTs JSON to a URL that carries its token: a service is its ``kind`` and its
    ``payload``, the JSON body it documents for an alert."""

    payload: ClassVar[Callable[[Alert], dict[str, Any]]]
    url: str = attrs.field(repr=False)

    def describe(self) -> str:
        return f"The {self.kind} channel {self.name} ({redact_url(self.url)})"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:
        # payload is a plain function kept on the class: taken from the type, it is not bound to self.
        await _post(self, http, self.url, timeout=timeout, json=type(self).payload(alert))


@attrs.frozen(repr=False, eq=False)
class SlackChannel(HookChannel):
    kind = "slack"
    payload = slack_payload


@attrs.frozen(repr=False, eq=False)
class DiscordChannel(HookChannel):
    kind = "discord"
    payload = discord_payload


@attrs.frozen(repr=False, eq=False)
class TeamsChannel(HookChannel):
    kind = "teams"
    payload = teams_payload


@attrs.frozen(repr=False, eq=False)
class WebhookChannel(HookChannel):
    kind = "webhook"
    payload = webhook_payload


#: The webhook channels by kind (what ``kind = "slack"`` in a ``[notify.NAME]`` table makes).
HOOK_CHANNELS: Mapping[str, type[HookChannel]] = {
    channel.kind: channel for channel in (SlackChannel, DiscordChannel, TeamsChannel, WebhookChannel)
}


@attrs.frozen(repr=False, eq=False)
class TelegramChannel(Channel):
    kind: ClassVar[str] = "telegram"
    token: str = attrs.field(repr=False)
    chat_id: int | str
    api_url: str = _defaults.TELEGRAM_API_URL

    def describe(self) -> str:
        return f"The {self.kind} channel {self.name} ({redact_url(self.api_url)})"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:
        url = f"{self.api_url}/bot{self.token}/sendMessage"
        await _post(self, http, url, timeout=timeout, json=telegram_payload(self.chat_id, alert))


@attrs.frozen(repr=False, eq=False)
class NtfyChannel(Channel):
    kind: ClassVar[str] = "ntfy"
    topic: str = attrs.field(repr=False)  # on a public server, whoever knows the topic can read it
    server: str = _defaults.NTFY_SERVER
    priority: str | None = None
    token: str | None = attrs.field(default=None, repr=False)

    def describe(self) -> str:
        return f"The {self.kind} channel {self.name} ({redact_url(self.server)})"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:
        headers = ntfy_headers(alert, self.priority)
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        url = f"{self.server}/{self.topic}"
        await _post(self, http, url, timeout=timeout, content=alert.text.encode(), headers=headers)


@attrs.frozen(repr=False, eq=False)
class EmailChannel(Channel):
    kind: ClassVar[str] = "email"
    host: str
    port: int
    starttls: bool
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)

    def describe(self) -> str:
        return f"The {self.kind} channel {self.name} (smtp://{self.host}:{self.port})"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:
        message = email_message(alert, self.sender, self.to)
        # smtplib blocks: a thread does the talking; its own socket timeout ends it if the wait below
        # gives up on it first.
        try:
            refused = await asyncio.wait_for(asyncio.to_thread(self._send, message, timeout), timeout)
        except TimeoutError:
            raise DeliveryError(f"{self.describe()} gave no answer within {timeout:g} s.") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"{self.describe()} does not offer STARTTLS (starttls = false suits a relay on loopback only)."
            ) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError(f"{self.describe()} refused every recipient.") from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"{self.describe()} answered {exc.smtp_code} ({type(exc).__name__}).") from None
        except (smtplib.SMTPException, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise DeliveryError(f"{self.describe()} could not be reached ({reason}).") from None
        if refused:
            logger.warning("%s delivered the alert, but refused %d of its recipients", self.describe(), len(refused))

    def _send(self, message: email.message.EmailMessage, timeout: float) -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP(self.host, self.port, timeout=timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username is not None and self.password is not None:
                smtp.login(self.username, self.password)
            return smtp.send_message(message, from_addr=self.sender, to_addrs=list(self.to))
