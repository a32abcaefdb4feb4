"""``[notify.NAME]`` tables of the ``--config`` file, read into channels (``_channels``)::

    [notify.team-slack]
    kind = "slack"
    webhook_url_env = "SLACK_WEBHOOK_URL"      # or: webhook_url_file = "secrets/slack-url"

Secrets (webhook URLs, bot tokens, ntfy access tokens, SMTP passwords) come only from a variable
(``*_env``) or a file (``*_file``, relative to the config file's folder): a secret written into the
file itself is refused, as API keys are. Each secret is registered with the log redactor as it is
read. Every mistake is a ``ConfigurationError`` naming the table and the setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx

from .. import _defaults
from .._apps.config_file import NAME, _print_warning, not_a_file, readable_by_others
from .._exceptions import ConfigurationError
from .._logging import register_secret
from .._settings import is_loopback, require_private
from .._text import toml_value
from ._channels import (
    HOOK_CHANNELS,
    Channel,
    EmailChannel,
    NtfyChannel,
    TelegramChannel,
    WebhookChannel,
)
from ._formats import NTFY_PRIORITY_NAMES

__all__ = ["INLINE_SECRETS", "KINDS", "SETTINGS", "channel_from_table", "webhook_channel"]


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
            raise self.error(f"{setting} must be a non-empty string, not {toml_value(value)}.")
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
            raise self.error(f"{given[0]} must be a non-empty string, not {toml_value(value)}.")
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
        refused = not_a_file(str(path))
        if refused is not None:
            raise self.error(f"{setting} names {path}, which {refused}: name the file that holds the secret.")
        try:
            with open(path, "rb") as handle:
                mode = os.fstat(handle.fileno()).st_mode
                data = handle.read(_defaults.MAX_SECRET_FILE_BYTES + 1)
        except OSError as exc:
            raise self.error(f"{setting} names the file {path}, which cannot be read: {exc.strerror or exc}.") from None
        if len(data) > _defaults.MAX_SECRET_FILE_BYTES:
            raise self.error(
                f"{setting} names the file {path}, which is larger than {_defaults.MAX_SECRET_FILE_BYTES} bytes."
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error(f"{setting} names the file {path}, which is not UTF-8 text.") from None
        if readable_by_others(mode):
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
    return HOOK_CHANNELS[str(reader.table["kind"])](name, url)


TELEGRAM_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")


def _telegram(name: str, reader: _Reader, secret: _Secret) -> Channel:
    found = reader.secret(secret, required=True)
    assert found is not None
    token, source = found
    if not TELEGRAM_TOKEN.fullmatch(token):
        raise reader.error(f"{source} does not hold a bot token as @BotFather gives it (digits, ':', then the rest).")
    chat_id = reader.table.get("chat_id")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int | str) or (isinstance(chat_id, str) and not chat_id):
        raise reader.error(f"chat_id must be a chat's number or a channel's @name, not {toml_value(chat_id)}.")
    api_url = reader.text("api_url", _defaults.TELEGRAM_API_URL)
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
    server = reader.text("server", _defaults.NTFY_SERVER)
    assert server is not None
    reader.url(server, "server", "the access token" if token else "the alerts")
    priority = reader.table.get("priority")
    if priority is not None:
        if isinstance(priority, bool) or not (
            (isinstance(priority, int) and 1 <= priority <= 5) or priority in NTFY_PRIORITY_NAMES
        ):
            raise reader.error(
                f"priority must be 1 to 5 or one of {', '.join(NTFY_PRIORITY_NAMES)}, not {toml_value(priority)}."
            )
        priority = str(priority)
    return NtfyChannel(name, topic, server.rstrip("/"), priority, token)


def _address(reader: _Reader, setting: str, value: Any) -> str:
    if not isinstance(value, str) or "@" not in value or any(char in value for char in "\r\n,") or not value.strip():
        raise reader.error(f"{setting} must be an email address (name@example.org), not {toml_value(value)}.")
    return value.strip()


def _email(name: str, reader: _Reader, secret: _Secret) -> Channel:
    host = reader.text("host", required=True)
    assert host is not None
    starttls = reader.table.get("starttls", True)
    if not isinstance(starttls, bool):
        raise reader.error(f"starttls must be true or false, not {toml_value(starttls)}.")
    port = reader.table.get("port", _defaults.SMTP_STARTTLS_PORT if starttls else _defaults.SMTP_PLAIN_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise reader.error(f"port must be a number from 1 to 65535, not {toml_value(port)}.")
    sender = _address(reader, "from", reader.table.get("from"))
    to = reader.table.get("to")
    if not isinstance(to, list) or not to:
        raise reader.error(f'to must be a list of email addresses (to = ["ops@example.org"]), not {toml_value(to)}.')
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
    **dict.fromkeys(HOOK_CHANNELS, _webhook),
    "telegram": _telegram,
    "ntfy": _ntfy,
    "email": _email,
}


def webhook_channel(url: str, name: str = "notify-url") -> Channel:
    """The plain webhook of ``--notify-url`` / ``$OPENROUTER_CREDITS_NOTIFY_URL`` (already checked by
    ``check_notify_url``) as a channel."""
    _register_url(url)
    return WebhookChannel(name, url)
