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
import email.message
import email.utils
import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs
import httpx

from .. import _defaults
from .._logging import EXPORTER_LOGGER
from ._alert import Alert
from ._formats import (
    discord_payload,
    email_message,
    ntfy_body,
    ntfy_headers,
    slack_payload,
    teams_payload,
    telegram_payload,
    webhook_payload,
)

__all__ = [
    "HOOK_CHANNELS",
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
