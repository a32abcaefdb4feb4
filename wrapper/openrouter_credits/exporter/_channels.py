"""Where alerts go: Slack, Discord, Teams, Telegram, ntfy, email, or a plain ``{"text": ...}`` webhook.

Each channel formats an ``Alert`` as its service documents it and sends it once per ``send()``; any
failure (a status other than 2xx, a redirect, a network error, a timeout, an SMTP error) raises
``DeliveryError``, whose message names the channel and the receiver's host, never its token. Retrying
is the deliverer's business (``_delivery``), not the channel's.

``channel_from_table`` reads one ``[notify.NAME]`` table of the ``--config`` file::

    [notify.team-slack]
    kind = "slack"
    webhook_url_env = "SLACK_WEBHOOK_URL"      # or: webhook_url_file = "secrets/slack-url"

Secrets (webhook URLs, bot tokens, ntfy access tokens, SMTP passwords) come only from a variable
(``*_env``) or a file (``*_file``, relative to the config file's folder): a secret written into the
file itself is refused, as API keys are. Each secret is registered with the log redactor as it is
read, and no repr, message or payload carries it.

Why not Apprise: it would bring a large dependency tree for seven small formats, and its
configuration is a URL with the secret inside it (``slack://TokenA/TokenB/TokenC``), which is exactly
what must not be written into a config file. Each format here is a few lines, tested against a
receiver that speaks it.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import email.message
import email.utils
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import attrs
import httpx

from .._exceptions import ConfigurationError
from .._keys_file import NAME, _print_warning
from .._logging import register_secret
from .._settings import is_loopback, require_private

__all__ = [
    "KINDS",
    "Alert",
    "Channel",
    "DeliveryError",
    "channel_from_table",
    "redact_url",
    "webhook_channel",
]

logger = logging.getLogger("openrouter_credits.exporter")

Severity = Literal["warning", "info"]

#: Telegram's Bot API, and ntfy's public server: the defaults of ``api_url`` and ``server``.
TELEGRAM_API_URL = "https://api.telegram.org"
NTFY_SERVER = "https://ntfy.sh"
#: Colours of Discord embeds (amber for a warning, green for a recovery).
DISCORD_COLOURS = {"warning": 0xF2A900, "info": 0x2EB67D}
#: ntfy's tags (shown as emoji) and default priorities by severity.
NTFY_TAGS = {"warning": "warning", "info": "white_check_mark"}
NTFY_PRIORITIES = {"warning": "high", "info": "default"}
NTFY_PRIORITY_NAMES = ("min", "low", "default", "high", "max", "urgent")
#: The most a secret file may hold.
SECRET_FILE_LIMIT = 8192


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
class _WebhookChannel(Channel):
    """A channel that POSTs JSON to a URL that carries its token."""

    url: str = attrs.field(repr=False)

    @abc.abstractmethod
    def payload(self, alert: Alert) -> dict[str, Any]:
        """The JSON body the service documents for ``alert``."""

    def describe(self) -> str:
        return f"The {self.kind} channel {self.name} ({redact_url(self.url)})"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:
        await _post(self, http, self.url, timeout=timeout, json=self.payload(alert))


@attrs.frozen(repr=False, eq=False)
class SlackChannel(_WebhookChannel):
    kind: ClassVar[str] = "slack"

    def payload(self, alert: Alert) -> dict[str, Any]:
        return slack_payload(alert)


@attrs.frozen(repr=False, eq=False)
class DiscordChannel(_WebhookChannel):
    kind: ClassVar[str] = "discord"

    def payload(self, alert: Alert) -> dict[str, Any]:
        return discord_payload(alert)


@attrs.frozen(repr=False, eq=False)
class TeamsChannel(_WebhookChannel):
    kind: ClassVar[str] = "teams"

    def payload(self, alert: Alert) -> dict[str, Any]:
        return teams_payload(alert)


@attrs.frozen(repr=False, eq=False)
class WebhookChannel(_WebhookChannel):
    kind: ClassVar[str] = "webhook"

    def payload(self, alert: Alert) -> dict[str, Any]:
        return webhook_payload(alert)


@attrs.frozen(repr=False, eq=False)
class TelegramChannel(Channel):
    kind: ClassVar[str] = "telegram"
    token: str = attrs.field(repr=False)
    chat_id: int | str
    api_url: str = TELEGRAM_API_URL

    def describe(self) -> str:
        return f"The {self.kind} channel {self.name} ({redact_url(self.api_url)})"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:
        url = f"{self.api_url}/bot{self.token}/sendMessage"
        await _post(self, http, url, timeout=timeout, json=telegram_payload(self.chat_id, alert))


@attrs.frozen(repr=False, eq=False)
class NtfyChannel(Channel):
    kind: ClassVar[str] = "ntfy"
    topic: str = attrs.field(repr=False)  # on a public server, whoever knows the topic can read it
    server: str = NTFY_SERVER
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


# --- reading [notify.NAME] ----------------------------------------------------------------------------


@attrs.frozen
class _Secret:
    setting: str  # "webhook_url": read from webhook_url_env or webhook_url_file
    what: str  # "the webhook URL", as messages name it


#: Each kind's settings, and its secret (read from SETTING_env or SETTING_file).
SETTINGS: Mapping[str, tuple[str, ...]] = {
    "slack": (),
    "discord": (),
    "teams": (),
    "webhook": (),
    "telegram": ("chat_id", "api_url"),
    "ntfy": ("topic", "server", "priority"),
    "email": ("host", "port", "starttls", "username", "from", "to"),
}
SECRETS: Mapping[str, _Secret] = {
    "slack": _Secret("webhook_url", "the webhook URL"),
    "discord": _Secret("webhook_url", "the webhook URL"),
    "teams": _Secret("webhook_url", "the webhook URL"),
    "webhook": _Secret("webhook_url", "the webhook URL"),
    "telegram": _Secret("bot_token", "the bot token"),
    "ntfy": _Secret("token", "the access token"),
    "email": _Secret("password", "the SMTP password"),
}
KINDS = tuple(SETTINGS)
#: Settings that would hold a secret inline, whatever the kind: refused, pointing at *_env / *_file.
INLINE_SECRETS = ("webhook_url", "url", "webhook", "bot_token", "token", "access_token", "password", "secret")


class _Reader:
    """One ``[notify.NAME]`` table's settings, each checked, every error naming the table and setting."""

    def __init__(
        self,
        table: Mapping[str, Any],
        where: str,
        base_dir: Path,
        environ: Mapping[str, str],
        warn: Callable[[str], None],
    ) -> None:
        self.table, self.where, self.base_dir, self.environ, self.warn = table, where, base_dir, environ, warn

    def error(self, message: str) -> ConfigurationError:
        return ConfigurationError(f"{self.where}: {message}")

    def text(self, setting: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.table.get(setting)
        if value is None:
            if required:
                raise self.error(f"{setting} is missing.")
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{setting} must be a non-empty string, not {value!r}.")
        if "\r" in value or "\n" in value:
            raise self.error(f"{setting} must be one line.")
        return value.strip()

    def secret(self, secret: _Secret, *, required: bool) -> tuple[str, str] | None:
        """The secret and its source as messages name it ("webhook_url_env (the variable X)"), or None."""
        env, file = f"{secret.setting}_env", f"{secret.setting}_file"
        given = [setting for setting in (env, file) if setting in self.table]
        if not given:
            if required:
                raise self.error(f"give {env} (a variable holding {secret.what}) or {file} (a file holding it alone).")
            return None
        if len(given) > 1:
            raise self.error(f"give one of {env} and {file}, not both.")
        value = self.table[given[0]]
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{given[0]} must be a non-empty string, not {value!r}.")
        if given[0] == env:
            text = self.environ.get(value)
            if text is None:
                raise self.error(f"{env} names the variable {value}, which is not set.")
            source = f"{env} (the variable {value})"
        else:
            path = Path(value) if os.path.isabs(value) else self.base_dir / value
            text = self._read_file(path, file)
            source = f"{file} ({path})"
        text = text.removeprefix("\ufeff").strip()
        register_secret(text)
        if not text:
            raise self.error(f"{source} is blank: it must hold {secret.what}.")
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1:
            raise self.error(f"{source} has {len(lines)} lines; it must hold {secret.what} alone.")
        return text, source

    def _read_file(self, path: Path, setting: str) -> str:
        try:
            with open(path, "rb") as handle:
                mode = os.fstat(handle.fileno()).st_mode
                data = handle.read(SECRET_FILE_LIMIT + 1)
        except OSError as exc:
            raise self.error(f"{setting} names the file {path}, which cannot be read: {exc.strerror or exc}.") from None
        if len(data) > SECRET_FILE_LIMIT:
            raise self.error(f"{setting} names the file {path}, which is larger than {SECRET_FILE_LIMIT} bytes.")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error(f"{setting} names the file {path}, which is not UTF-8 text.") from None
        if mode & 0o077:
            self.warn(
                f"{self.where}: {setting} names the file {path}, which other users can read "
                f"(mode {mode & 0o777:03o}); run: chmod 600 {path}"
            )
        return text

    def url(self, url: str, source: str, carries: str) -> str:
        """``url`` checked: absolute https (plain http to loopback only), no user name, no fragment."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise self.error(f"{source} is not a valid URL: it must start with https://.") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise self.error(f"{source} must start with https://.")
        if parsed.port is not None and not 1 <= parsed.port <= 65535:
            raise self.error(f"{source} has a port that is not a number from 1 to 65535.")
        if parsed.userinfo:
            raise self.error(f"{source} must not carry a user name or password.")
        require_private(parsed, f"{self.where}: {source}", carries)
        return url


def _register_url(url: str) -> None:
    """A URL carrying a token, registered with the log redactor in each form a log line may show."""
    parsed = httpx.URL(url)
    register_secret(url)
    register_secret(str(parsed))
    register_secret(parsed.path)
    register_secret(parsed.raw_path.decode("ascii", "replace"))
    register_secret(parsed.query.decode("ascii", "replace"))
    for _, value in parsed.params.multi_items():
        register_secret(value)


def channel_from_table(
    name: str,
    table: Mapping[str, Any],
    where: str,
    base_dir: Path,
    environ: Mapping[str, str],
    *,
    warn: Callable[[str], None] = _print_warning,
) -> Channel:
    """The channel of one ``[notify.NAME]`` table; ``where`` starts each message ("--config keys.toml:
    [notify.team-slack]"), ``base_dir`` is the config file's folder (for relative ``*_file`` paths)."""
    if not NAME.fullmatch(name):
        raise ConfigurationError(
            f"{where}: a channel's name is letters, digits, '.', '_' or '-' (up to 63), "
            "starting with a letter or digit."
        )
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"{where}: expected a table of settings, not {type(table).__name__}.")
    kind = table.get("kind")
    if kind is None:
        raise ConfigurationError(f"{where}: kind is missing; the kinds are {', '.join(KINDS)}.")
    if kind not in KINDS:
        raise ConfigurationError(f"{where}: unknown kind {kind!r}; the kinds are {', '.join(KINDS)}.")
    secret = SECRETS[kind]
    inline = [setting for setting in table if setting in INLINE_SECRETS]
    if inline:
        raise ConfigurationError(
            f"{where}: {inline[0]} would put {secret.what}, a secret, in this file: use {secret.setting}_env "
            f"(a variable holding it) or {secret.setting}_file (a file holding it alone)."
        )
    known = ("kind", *SETTINGS[kind], f"{secret.setting}_env", f"{secret.setting}_file")
    unknown = [setting for setting in table if setting not in known]
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown setting {unknown[0]!r} for kind {kind!r}; its settings are {', '.join(known)}."
        )
    reader = _Reader(table, where, base_dir, environ, warn)
    return _BUILDERS[kind](name, reader, secret)


def _webhook(name: str, reader: _Reader, secret: _Secret) -> Channel:
    found = reader.secret(secret, required=True)
    assert found is not None
    url, source = found
    reader.url(url, source, "its token")
    _register_url(url)
    kinds: dict[str, type[_WebhookChannel]] = {
        "slack": SlackChannel,
        "discord": DiscordChannel,
        "teams": TeamsChannel,
        "webhook": WebhookChannel,
    }
    return kinds[str(reader.table["kind"])](name, url)


TELEGRAM_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")


def _telegram(name: str, reader: _Reader, secret: _Secret) -> Channel:
    found = reader.secret(secret, required=True)
    assert found is not None
    token, source = found
    if not TELEGRAM_TOKEN.fullmatch(token):
        raise reader.error(f"{source} does not hold a bot token as @BotFather gives it (digits, ':', then the rest).")
    chat_id = reader.table.get("chat_id")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int | str) or (isinstance(chat_id, str) and not chat_id):
        raise reader.error(f"chat_id must be a chat's number or a channel's @name, not {chat_id!r}.")
    api_url = reader.text("api_url", TELEGRAM_API_URL)
    assert api_url is not None
    reader.url(api_url, "api_url", "the bot token")
    api_url = api_url.rstrip("/")
    _register_url(f"{api_url}/bot{token}/sendMessage")
    return TelegramChannel(name, token, chat_id, api_url)


NTFY_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _ntfy(name: str, reader: _Reader, secret: _Secret) -> Channel:
    topic = reader.text("topic", required=True)
    assert topic is not None
    if not NTFY_TOPIC.fullmatch(topic):
        raise reader.error("topic must be 1 to 64 letters, digits, '_' or '-'.")
    register_secret(topic)  # on a public server the topic is what keeps others from reading it
    found = reader.secret(secret, required=False)
    token = None if found is None else found[0]
    server = reader.text("server", NTFY_SERVER)
    assert server is not None
    reader.url(server, "server", "the access token" if token else "the alerts")
    priority = reader.table.get("priority")
    if priority is not None:
        if isinstance(priority, bool) or not (
            (isinstance(priority, int) and 1 <= priority <= 5) or priority in NTFY_PRIORITY_NAMES
        ):
            raise reader.error(f"priority must be 1 to 5 or one of {', '.join(NTFY_PRIORITY_NAMES)}, not {priority!r}.")
        priority = str(priority)
    return NtfyChannel(name, topic, server.rstrip("/"), priority, token)


def _address(reader: _Reader, setting: str, value: Any) -> str:
    if not isinstance(value, str) or "@" not in value or any(char in value for char in "\r\n,") or not value.strip():
        raise reader.error(f"{setting} must be an email address (name@example.org), not {value!r}.")
    return value.strip()


def _email(name: str, reader: _Reader, secret: _Secret) -> Channel:
    host = reader.text("host", required=True)
    assert host is not None
    starttls = reader.table.get("starttls", True)
    if not isinstance(starttls, bool):
        raise reader.error(f"starttls must be true or false, not {starttls!r}.")
    port = reader.table.get("port", 587 if starttls else 25)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise reader.error(f"port must be a number from 1 to 65535, not {port!r}.")
    sender = _address(reader, "from", reader.table.get("from"))
    to = reader.table.get("to")
    if not isinstance(to, list) or not to:
        raise reader.error(f'to must be a list of email addresses (to = ["ops@example.org"]), not {to!r}.')
    recipients = tuple(_address(reader, "to", address) for address in to)
    username = reader.text("username")
    found = reader.secret(secret, required=username is not None)
    if found is not None and username is None:
        raise reader.error(f"{found[1].split()[0]} is given without username: give both, or neither.")
    if username is not None and not starttls and not is_loopback(host):
        raise reader.error(
            f"starttls = false would send the SMTP password unencrypted to {host!r}: keep starttls = true "
            "(plain SMTP with a password is allowed only to loopback addresses)."
        )
    password = None if found is None else found[0]
    return EmailChannel(name, host, port, starttls, sender, recipients, username, password)


_BUILDERS: Mapping[str, Callable[[str, _Reader, _Secret], Channel]] = {
    "slack": _webhook,
    "discord": _webhook,
    "teams": _webhook,
    "webhook": _webhook,
    "telegram": _telegram,
    "ntfy": _ntfy,
    "email": _email,
}


def webhook_channel(url: str, name: str = "notify-url") -> Channel:
    """The plain webhook of ``--notify-url`` / ``$OPENROUTER_CREDITS_NOTIFY_URL`` (already checked by
    ``check_notify_url``) as a channel."""
    _register_url(url)
    return WebhookChannel(name, url)
