"""Where alerts go: Slack, Discord, Teams, Telegram, ntfy, email, or a plain ``{"text": ...}`` webhook.

Each channel formats an ``Alert`` as its service documents it and sends it once per ``send()``; any
failure (a status other than 2xx, a redirect, a network error, a timeout, an SMTP error) raises
``DeliveryError``, whose message names the channel and the receiver's host, never its token, and
says whether the receiver refused that message for good (``permanent``: a 400, 413 or 422, an SMTP
5xx for the message). Retrying is the deliverer's business (``_delivery``), not the channel's.

An alert's text comes partly from OpenRouter (key names), which anyone in an organization can set, so
it is held to rules before it goes anywhere: ``Alert`` keeps valid Unicode on one line (a lone
surrogate becomes U+FFFD; control characters and bidirectional overrides become spaces or U+FFFD)
and bounded; each format escapes it for what its receiver parses (Slack's mrkdwn, Discord's
markdown and mentions, Teams' markdown, mentions in plain-text chats) and cuts it to the service's
documented limits, each cited where it is applied; a header value is one clean line.

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
import re
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
    "clean_text",
    "fit",
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


#: The longest an alert's title, text and summary parts may be (characters), whatever its names hold:
#: an outbox entry stays under a few KB (each format cuts further to its service's limits).
MAX_TITLE = 200
MAX_TEXT = 1000
ELLIPSIS = "…"

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: Characters that reorder the text around them (Unicode's bidirectional controls): shown as U+FFFD.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str, limit: int | None = None) -> str:
    """``text`` as an alert may hold it: valid Unicode (a lone surrogate becomes U+FFFD), on one line
    (a run of control characters, newlines included, becomes one space), no bidirectional controls
    (each becomes U+FFFD, visibly), at most ``limit`` characters (a cut ends in "…")."""
    if not text.isprintable():  # all that follows is not printable (Python's "Other" and "Separator")
        text = _BIDI.sub("\ufffd", _SURROGATES.sub("\ufffd", text))
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


class DeliveryError(Exception):
    """A channel could not deliver an alert. The message names the channel, never its secret;
    ``permanent``: the receiver refused this message itself (trying it again would not help)."""

    #: What kind of failure this is, as ``OpenRouterCreditsError.kind`` says it of a call to OpenRouter
    #: (one kind: it is not one of ``ERROR_KINDS``, which ``poll_errors_total`` counts by).
    kind = "delivery"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def redact_url(url: str | httpx.URL) -> str:
    """A URL as it may be shown: scheme and host only (the path and query may carry a token)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<url>"
    return f"{parsed.scheme}://{parsed.host}/…"


# --- the formats (pure: an alert in, what the service documents out) ----------------------------------


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


#: Statuses by which a receiver refuses the message itself (malformed, too large): sending it again
#: would get the same answer. Any other failure may pass (a 5xx, a 429, a 404 while a URL is fixed).
REFUSED = frozenset({400, 413, 422})


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
        raise DeliveryError(f"{channel.describe()} answered HTTP {status}.", permanent=status in REFUSED)


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
        await _post(self, http, url, timeout=timeout, content=ntfy_body(alert), headers=headers)


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
        if refused:
            logger.warning("%s delivered the alert, but refused %d of its recipients", self.describe(), len(refused))

    def _send(self, message: email.message.EmailMessage, timeout: float) -> dict[str, tuple[int, bytes]]:
        """One SMTP session, each step's failure said as what it is (``_smtp_failure``)."""
        step = "connect"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=timeout) as smtp:
                if self.starttls:
                    step = "starttls"
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None and self.password is not None:
                    step = "login"
                    smtp.login(self.username, self.password)
                step = "send"
                return smtp.send_message(message, from_addr=self.sender, to_addrs=list(self.to))
        except (smtplib.SMTPException, OSError) as exc:
            raise _smtp_failure(self, step, exc) from None


def _smtp_failure(channel: EmailChannel, step: str, exc: BaseException) -> DeliveryError:
    """What an SMTP failure means, from the step it came at (connect, starttls, login, send) and what
    was raised: smtplib raises SMTPNotSupportedError for a missing STARTTLS and a missing AUTH alike."""
    where = channel.describe()
    code = exc.smtp_code if isinstance(exc, smtplib.SMTPResponseException) else None
    answered = f"answered {code}" if code is not None else ""
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"{where} gave no answer in time (at {step}).")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"{where} closed the connection (at {step}).")
    if step == "connect":
        if isinstance(exc, smtplib.SMTPConnectError):
            return DeliveryError(f"{where} refused the session: it {answered} to the greeting.")
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return DeliveryError(f"{where} could not be reached ({reason}).")
    if step == "starttls":
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return DeliveryError(f"{where} does not offer STARTTLS (starttls = false suits a relay on loopback only).")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return DeliveryError(f"{where}: its TLS certificate could not be verified ({exc.verify_message}).")
        if isinstance(exc, ssl.SSLError):
            return DeliveryError(f"{where}: the TLS handshake failed ({exc.reason or type(exc).__name__}).")
        return DeliveryError(f"{where} refused STARTTLS: it {answered or type(exc).__name__}.")
    if step == "login":
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return DeliveryError(
                f"{where} does not offer AUTH (logging in): leave out username and password_env or "
                "password_file for a relay that takes mail without them, or use a server that offers it."
            )
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return DeliveryError(f"{where} refused the user name or password: it {answered}.")
        if isinstance(exc, smtplib.SMTPResponseException):
            return DeliveryError(f"{where} refused to log in: it {answered}.")
        return DeliveryError(f"{where} offers no login method this client knows (AUTH PLAIN, LOGIN or CRAM-MD5).")
    # sending: a 5xx is the server's refusal of this message (for good); a 4xx is for now
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        permanent = all(code >= 500 for code in codes)
        return DeliveryError(
            f"{where} refused every recipient: it answered {', '.join(map(str, codes))}.", permanent=permanent
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return DeliveryError(
            f"{where} refused the sender address (from): it {answered}.", permanent=code is not None and code >= 500
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return DeliveryError(f"{where} refused the message: it {answered}.", permanent=code is not None and code >= 500)
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryError(f"{where} {answered} ({type(exc).__name__}).")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return DeliveryError(f"{where} failed while sending ({reason}).")
