"""Notification channels: each kind's exact request against a loopback receiver that answers as the
service does (an SMTP server for email), secrets kept out of logs, reprs, errors and payloads, and
every configuration error of a ``[notify.NAME]`` table, word for word."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import http.server
import json
import logging
import threading
import tomllib
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.exporter._alert import Alert
from openrouter_credits.exporter._channels import Channel, DeliveryError
from openrouter_credits.exporter._notify_tables import channel_from_table

BELOW = Alert(
    "team-a",
    "below",
    "team-a is below its threshold",
    "OpenRouter key team-a may spend $5.00, below its threshold of $10.00: add credits or raise its limit.",
    "warning",
)
RECOVERED = Alert(
    "team-a",
    "recovered",
    "team-a recovered",
    "OpenRouter key team-a recovered: it may spend $20.00 (threshold $10.00).",
    "info",
)

#: Secrets the channels carry: each must stay out of logs, reprs, errors and bodies.
SLACK_TOKEN = "SLACKSECRET0b1c2d3e4f"
DISCORD_TOKEN = "DISCORDSECRET-5a6b7c8d"
TEAMS_SIG = "TEAMSSIGSECRET9f8e7d6c"
BOT_TOKEN = "123456789:TELEGRAMSECRET_AbCdEfGh-1234"
NTFY_TOKEN = "tk_NTFYSECRETabcdef0123456789"
SMTP_PASSWORD = "SMTPSECRET-pa55w0rd-77"
HOOK_TOKEN = "HOOKSECRET-31415926"
SECRETS = (SLACK_TOKEN, DISCORD_TOKEN, TEAMS_SIG, BOT_TOKEN, NTFY_TOKEN, SMTP_PASSWORD, HOOK_TOKEN)
WHERE = "--config keys.toml: [notify.{name}]"


# --- a receiver that answers as the services do --------------------------------------------------


@attrs.frozen
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


#: What each service answers a good post with: (status, content type, body).
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "slack": (200, "text/html", b"ok"),
    "discord": (204, "", b""),
    "teams": (202, "", b""),
    "telegram": (200, "application/json", b'{"ok":true,"result":{"message_id":7}}'),
    "ntfy": (200, "application/json", b'{"id":"x1","event":"message"}'),
    "webhook": (200, "text/plain", b"ok"),
}


class Service(http.server.ThreadingHTTPServer):
    """An HTTP receiver on 127.0.0.1 that records each request and answers each in turn with the next
    of ``script`` (then ``default``): "ok" (the service's answer), a status, "hang", "close",
    "redirect", or "unknown" for a path it does not serve."""

    daemon_threads = True

    def __init__(self, service: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.service = service
        self.paths: set[str] = set()  # the paths it serves (others: the service's 404)
        self.requests: list[Request] = []
        self.script: deque[str | int] = deque()
        self.default: str | int = "ok"
        self.release = threading.Event()  # ends the hanging answers
        self.arrived = threading.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def serve(self, path: str) -> str:
        """Serve ``path`` (with its query); its full URL."""
        self.paths.add(path)
        return self.url + path

    def record(self, request: Request) -> str | int:
        with self.arrived:
            self.requests.append(request)
            self.arrived.notify_all()
        if request.path not in self.paths:
            return "unknown"
        return self.script.popleft() if self.script else self.default

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Service

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        action = self.server.record(Request(self.command, self.path, dict(self.headers.items()), body))
        if action == "hang":
            self.server.release.wait(30)
            self.close_connection = True
            return
        if action == "close":
            self.close_connection = True  # no answer at all
            return
        if action == "redirect":
            self._answer(302, "text/plain", b"moved", location=self.server.url + "/elsewhere")
        elif action == "unknown":
            self._answer(404, "text/plain", b"not found")
        elif action == "ok":
            self._answer(*ANSWERS[self.server.service])
        else:
            assert isinstance(action, int)
            self._answer(action, "text/plain", b"failed")

    def _answer(self, status: int, content_type: str, body: bytes, location: str | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if location:
            self.send_header("Location", location)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 204:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start(service: str) -> Service:
    running = Service(service)
    threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True).start()
    return running


def stop(running: Service) -> None:
    running.release.set()
    running.shutdown()
    running.server_close()


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Service]:
    """A receiver for the service named by the test's parameter (``webhook`` when none)."""
    running = start(getattr(request, "param", "webhook"))
    yield running
    stop(running)


# --- helpers ---------------------------------------------------------------------------------------


def channel(text: str, base_dir: Path, environ: Mapping[str, str] | None = None, **options: Any) -> Channel:
    """The channel of the one ``[notify.NAME]`` table in ``text``."""
    document = tomllib.loads(text)
    [(name, table)] = document["notify"].items()
    return channel_from_table(name, table, WHERE.format(name=name), base_dir, environ or {}, **options)


def config_error(text: str, base_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    with pytest.raises(ConfigurationError) as caught:
        channel(text, base_dir, environ)
    return str(caught.value)


def send(target: Channel, alert: Alert = BELOW, timeout: float = 5.0) -> None:
    async def main() -> None:
        async with httpx.AsyncClient() as http:
            await target.send(alert, http, timeout=timeout)

    asyncio.run(main())


def secret_file(folder: Path, name: str, text: str, mode: int = 0o600) -> Path:
    path = folder / name
    path.write_text(text)
    path.chmod(mode)
    return path


# --- each kind's request ---------------------------------------------------------------------------


@pytest.mark.parametrize("receiver", ["slack"], indirect=True)
def test_slack_posts_text_and_blocks(receiver: Service, tmp_path: Path) -> None:
    """Slack: the incoming webhook gets text plus a header and a mrkdwn section, at the URL's path."""
    url = receiver.serve(f"/services/T000/B000/{SLACK_TOKEN}")
    send(channel('[notify.team-slack]\nkind = "slack"\nwebhook_url_env = "SLACK_URL"', tmp_path, {"SLACK_URL": url}))
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", f"/services/T000/B000/{SLACK_TOKEN}")
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "text": BELOW.text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "team-a is below its threshold"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": BELOW.text}},
        ],
    }


def test_slack_escapes_its_control_characters(tmp_path: Path, receiver: Service) -> None:
    """Slack's mrkdwn: &, < and > are sent as entities, as Slack's formatting guide asks."""
    url = receiver.serve(f"/services/{SLACK_TOKEN}")
    target = channel('[notify.s]\nkind = "slack"\nwebhook_url_env = "U"', tmp_path, {"U": url})
    send(target, attrs.evolve(BELOW, text="a <b> & c"))
    assert receiver.requests[0].json()["text"] == "a &lt;b&gt; &amp; c"


@pytest.mark.parametrize("receiver", ["discord"], indirect=True)
def test_discord_posts_content_and_an_embed(receiver: Service, tmp_path: Path) -> None:
    """Discord: content, one embed with title, description and colour (green when recovered), no mentions;
    the 204 Discord answers counts as delivered."""
    url = receiver.serve(f"/api/webhooks/123456/{DISCORD_TOKEN}")
    hook = secret_file(tmp_path, "discord-url", url + "\n")
    target = channel('[notify.ops]\nkind = "discord"\nwebhook_url_file = "discord-url"', tmp_path)
    send(target, BELOW)
    send(target, RECOVERED)
    assert [r.path for r in receiver.requests] == [f"/api/webhooks/123456/{DISCORD_TOKEN}"] * 2
    assert [r.json() for r in receiver.requests] == [
        {
            "content": "team-a is below its threshold",
            "embeds": [{"title": "team-a is below its threshold", "description": BELOW.text, "color": 0xF2A900}],
            "allowed_mentions": {"parse": []},
        },
        {
            "content": "team-a recovered",
            "embeds": [{"title": "team-a recovered", "description": RECOVERED.text, "color": 0x2EB67D}],
            "allowed_mentions": {"parse": []},
        },
    ]
    assert hook.exists()


@pytest.mark.parametrize("receiver", ["teams"], indirect=True)
def test_teams_posts_an_adaptive_card(receiver: Service, tmp_path: Path) -> None:
    """Teams: a message with one Adaptive Card 1.4 attachment (title, text, each a TextRun, which is never
    read as markdown), to the URL with its query (the signature is in it); Teams' 202 counts as delivered."""
    path = f"/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig={TEAMS_SIG}"
    url = receiver.serve(path)
    send(channel('[notify.t]\nkind = "teams"\nwebhook_url_env = "TEAMS_URL"', tmp_path, {"TEAMS_URL": url}))
    [request] = receiver.requests
    assert request.path == path
    assert request.json() == {
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
                            "type": "RichTextBlock",
                            "inlines": [
                                {
                                    "type": "TextRun",
                                    "text": "team-a is below its threshold",
                                    "weight": "Bolder",
                                    "size": "Medium",
                                    "color": "Warning",
                                }
                            ],
                        },
                        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": BELOW.text}]},
                    ],
                },
            }
        ],
    }


@pytest.mark.parametrize("receiver", ["telegram"], indirect=True)
def test_telegram_calls_send_message(receiver: Service, tmp_path: Path) -> None:
    """Telegram: POST {api_url}/bot{token}/sendMessage with chat_id and the text (plain: no parse_mode),
    no link preview; a wrong token gets the Bot API's 401, a DeliveryError that names neither token."""
    receiver.serve(f"/bot{BOT_TOKEN}/sendMessage")
    toml = f'[notify.tg]\nkind = "telegram"\nbot_token_env = "TG"\nchat_id = -1001234\napi_url = "{receiver.url}/"'
    send(channel(toml, tmp_path, {"TG": BOT_TOKEN}))
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", f"/bot{BOT_TOKEN}/sendMessage")
    assert request.json() == {
        "chat_id": -1001234,
        "text": f"team-a is below its threshold\n{BELOW.text}",
        "link_preview_options": {"is_disabled": True},
    }

    wrong = "987654321:WRONGTOKEN_secret_value"
    receiver.paths.add(f"/bot{wrong}/sendMessage")
    receiver.script.append(401)
    with pytest.raises(DeliveryError) as caught:
        send(channel(toml, tmp_path, {"TG": wrong}))
    assert str(caught.value) == "The telegram channel tg (http://127.0.0.1/…) answered HTTP 401."
    assert caught.value.kind == "delivery"


@pytest.mark.parametrize("receiver", ["ntfy"], indirect=True)
def test_ntfy_publishes_the_text_with_headers(receiver: Service, tmp_path: Path) -> None:
    """ntfy: POST {server}/{topic}, the text as the body; Title, Tags, Priority (configured, else by
    severity) and the access token as a bearer; a title that is not ASCII goes as an RFC 2047 word."""
    receiver.serve("/openrouter-alerts-x7")
    secret_file(tmp_path, "ntfy-token", NTFY_TOKEN)
    toml = f"""[notify.phone]
kind = "ntfy"
server = "{receiver.url}"
topic = "openrouter-alerts-x7"
priority = "max"
token_file = "ntfy-token"
"""
    send(channel(toml, tmp_path))
    plain = toml.replace('priority = "max"\n', "").replace('token_file = "ntfy-token"\n', "")
    send(channel(plain, tmp_path), attrs.evolve(RECOVERED, title="team-a recovered ✓"))
    first, second = receiver.requests
    assert (first.method, first.path, first.body) == ("POST", "/openrouter-alerts-x7", BELOW.text.encode())
    assert {name: first.headers[name] for name in ("Title", "Tags", "Priority", "Authorization", "Content-Type")} == {
        "Title": "team-a is below its threshold",
        "Tags": "warning",
        "Priority": "max",
        "Authorization": f"Bearer {NTFY_TOKEN}",
        "Content-Type": "text/plain; charset=utf-8",
    }
    encoded = base64.b64encode("team-a recovered ✓".encode()).decode()
    assert (second.headers["Title"], second.headers["Tags"], second.headers["Priority"]) == (
        f"=?UTF-8?B?{encoded}?=",
        "white_check_mark",
        "default",
    )
    assert "Authorization" not in second.headers
    assert second.body == RECOVERED.text.encode()


@pytest.mark.parametrize("receiver", ["webhook"], indirect=True)
def test_webhook_posts_text(receiver: Service, tmp_path: Path) -> None:
    """The generic webhook: {"text": ...}, today's format."""
    url = receiver.serve(f"/hooks/{HOOK_TOKEN}")
    send(channel('[notify.hook]\nkind = "webhook"\nwebhook_url_env = "HOOK"', tmp_path, {"HOOK": url}))
    [request] = receiver.requests
    assert (request.path, request.json()) == (f"/hooks/{HOOK_TOKEN}", {"text": BELOW.text})


# --- email -----------------------------------------------------------------------------------------


class Inbox:
    """An SMTP handler that keeps each envelope, and the logins it was given."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == SMTP_PASSWORD.encode(), handled=False)  # False: 535


async def smtp_server(inbox: Inbox, **options: Any) -> asyncio.Server:
    """aiosmtpd on 127.0.0.1 in the test's own loop (smtplib talks to it from a thread); no TLS."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(inbox, hostname="mail.test", **options), "127.0.0.1", 0)


def email_toml(port: int, *extra: str) -> str:
    lines = ['kind = "email"', 'host = "127.0.0.1"', f"port = {port}", 'from = "alerts@example.org"']
    lines += ['to = ["ops@example.org", "cfo@example.org"]', *extra]
    return "[notify.mail]\n" + "\n".join(lines) + "\n"


def test_email_sends_subject_and_text(tmp_path: Path) -> None:
    """Email: envelope from and to, Subject "[openrouter-credits] KEY: STATE", the text as the body.
    STARTTLS is tested off (the test server has no certificate); with it on against a server that does
    not offer it, the send fails rather than going out in the clear."""
    inbox = Inbox()

    async def main() -> None:
        server = await smtp_server(inbox)
        port = server.sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient() as http:
                await channel(email_toml(port, "starttls = false"), tmp_path).send(BELOW, http, timeout=5)
                with pytest.raises(DeliveryError) as caught:
                    await channel(email_toml(port), tmp_path).send(BELOW, http, timeout=5)
        finally:
            server.close()
            await server.wait_closed()
        assert str(caught.value) == (
            f"The email channel mail (smtp://127.0.0.1:{port}) does not offer STARTTLS "
            "(starttls = false suits a relay on loopback only)."
        )

    asyncio.run(main())
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "alerts@example.org"
    assert envelope.rcpt_tos == ["ops@example.org", "cfo@example.org"]
    assert isinstance(envelope.original_content, bytes)
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "[openrouter-credits] team-a: below"
    assert (message["From"], message["To"]) == ("alerts@example.org", "ops@example.org, cfo@example.org")
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body()
    assert body is not None
    assert body.get_content() == BELOW.text + "\r\n"  # as it went over the wire
    assert body.get_content_type() == "text/plain"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_email_logs_in_with_the_password_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Email with username and password_file: the login carries them; a wrong password is a DeliveryError
    saying so, with the SMTP code; the password is in no log line and no message."""
    caplog.set_level(logging.DEBUG)
    inbox = Inbox()
    secret_file(tmp_path, "smtp-password", SMTP_PASSWORD)
    secret_file(tmp_path, "wrong-password", "not-the-password-at-all")
    extra = ("starttls = false", 'username = "alerts"')

    async def main() -> str:
        server = await smtp_server(inbox, authenticator=inbox.authenticate, auth_require_tls=False)
        port = server.sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient() as http:
                good = channel(email_toml(port, *extra, 'password_file = "smtp-password"'), tmp_path)
                await good.send(BELOW, http, timeout=5)
                bad = channel(email_toml(port, *extra, 'password_file = "wrong-password"'), tmp_path)
                with pytest.raises(DeliveryError) as caught:
                    await bad.send(BELOW, http, timeout=5)
                assert SMTP_PASSWORD not in repr(good) + str(good)
                return f"{port}: {caught.value}"
        finally:
            server.close()
            await server.wait_closed()

    port, _, message = asyncio.run(main()).partition(": ")
    assert inbox.logins[0] == (b"alerts", SMTP_PASSWORD.encode())
    assert set(inbox.logins[1:]) == {(b"alerts", b"not-the-password-at-all")}  # smtplib tries PLAIN, then LOGIN
    assert len(inbox.envelopes) == 1
    assert (
        message
        == f"The email channel mail (smtp://127.0.0.1:{port}) refused the user name or password: it answered 535."
    )
    assert SMTP_PASSWORD not in caplog.text


class Refusing:
    """An SMTP handler that refuses at one step: the sender (553), every recipient (450, for now) or
    the message (554)."""

    def __init__(self, step: str) -> None:
        self.step = step

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any) -> str:
        if self.step == "mail":
            return "553 5.1.8 Sender address rejected"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any) -> str:
        if self.step == "rcpt":
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "554 5.6.0 Message rejected" if self.step == "data" else "250 OK"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_email_failures_say_their_cause(tmp_path: Path) -> None:
    """Each SMTP failure is said as what it is: no AUTH offered when a username is set (not "does not
    offer STARTTLS", as smtplib's one exception for both would have it), the sender, the recipients
    or the message refused (a 5xx refusal is permanent, a 4xx is not)."""
    secret_file(tmp_path, "smtp-password", SMTP_PASSWORD)
    login = ("starttls = false", 'username = "alerts"', 'password_file = "smtp-password"')

    async def failure(handler: Any, *extra: str) -> tuple[str, bool]:
        server = await smtp_server(handler)
        port = server.sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient() as http:
                with pytest.raises(DeliveryError) as caught:
                    await channel(email_toml(port, *extra), tmp_path).send(BELOW, http, timeout=5)
        finally:
            server.close()
            await server.wait_closed()
        return str(caught.value).replace(f":{port})", ":PORT)"), caught.value.permanent

    async def main() -> list[tuple[str, bool]]:
        return [
            await failure(Inbox(), *login),  # aiosmtpd without an authenticator offers no AUTH
            await failure(Refusing("mail"), "starttls = false"),
            await failure(Refusing("rcpt"), "starttls = false"),
            await failure(Refusing("data"), "starttls = false"),
        ]

    where = "The email channel mail (smtp://127.0.0.1:PORT)"
    assert asyncio.run(main()) == [
        (
            f"{where} does not offer AUTH (logging in): leave out username and password_env or password_file for a "
            "relay that takes mail without them, or use a server that offers it.",
            False,
        ),
        (f"{where} refused the sender address (from): it answered 553.", True),
        (f"{where} refused every recipient: it answered 450.", False),
        (f"{where} refused the message: it answered 554.", True),
    ]


# --- secrets ---------------------------------------------------------------------------------------


def every_channel(receiver: Service, tmp_path: Path) -> list[Channel]:
    environ = {
        "SLACK": receiver.url + f"/services/{SLACK_TOKEN}",
        "DISCORD": receiver.url + f"/api/webhooks/1/{DISCORD_TOKEN}",
        "TEAMS": receiver.url + f"/invoke?sig={TEAMS_SIG}",
        "HOOK": receiver.url + f"/hooks/{HOOK_TOKEN}",
        "TG": BOT_TOKEN,
        "NTFY": NTFY_TOKEN,
        "SMTP": SMTP_PASSWORD,
    }
    tables = [
        '[notify.a]\nkind = "slack"\nwebhook_url_env = "SLACK"',
        '[notify.b]\nkind = "discord"\nwebhook_url_env = "DISCORD"',
        '[notify.c]\nkind = "teams"\nwebhook_url_env = "TEAMS"',
        '[notify.d]\nkind = "webhook"\nwebhook_url_env = "HOOK"',
        f'[notify.e]\nkind = "telegram"\nbot_token_env = "TG"\nchat_id = "@ops"\napi_url = "{receiver.url}"',
        f'[notify.f]\nkind = "ntfy"\ntopic = "alerts-topic-x"\nserver = "{receiver.url}"\ntoken_env = "NTFY"',
        email_toml(1, "starttls = false", 'username = "u"', 'password_env = "SMTP"').replace("mail", "g", 1),
    ]
    return [channel(table, tmp_path, environ) for table in tables]


def test_secrets_stay_out_of_reprs_errors_logs_and_payloads(
    receiver: Service, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A channel's repr and str show its name and kind alone; its failures (500, then a closed port) say
    no secret, nor does any log line (httpx's own included); no body carries a URL's token."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # whatever an earlier test configured
    channels = every_channel(receiver, tmp_path)
    assert [repr(c) for c in channels] == [
        "SlackChannel(name='a', kind='slack')",
        "DiscordChannel(name='b', kind='discord')",
        "TeamsChannel(name='c', kind='teams')",
        "WebhookChannel(name='d', kind='webhook')",
        "TelegramChannel(name='e', kind='telegram')",
        "NtfyChannel(name='f', kind='ntfy')",
        "EmailChannel(name='g', kind='email')",
    ]
    assert [str(c) for c in channels] == [repr(c) for c in channels]
    receiver.default = 500
    for path in ("/services/", "/api/webhooks/1/", "/invoke?sig=", "/hooks/", f"/bot{BOT_TOKEN}/sendMessage"):
        receiver.paths.add(path)
    receiver.paths |= {f"/services/{SLACK_TOKEN}", f"/api/webhooks/1/{DISCORD_TOKEN}", f"/invoke?sig={TEAMS_SIG}"}
    receiver.paths |= {f"/hooks/{HOOK_TOKEN}", "/alerts-topic-x"}
    messages = []
    for target in channels:  # every one fails: 500 from the receiver, nothing listening on port 1
        with pytest.raises(DeliveryError) as caught:
            send(target, timeout=2)
        messages.append(str(caught.value))
        messages.append(repr(caught.value))
    assert messages[::2] == [
        "The slack channel a (http://127.0.0.1/…) answered HTTP 500.",
        "The discord channel b (http://127.0.0.1/…) answered HTTP 500.",
        "The teams channel c (http://127.0.0.1/…) answered HTTP 500.",
        "The webhook channel d (http://127.0.0.1/…) answered HTTP 500.",
        "The telegram channel e (http://127.0.0.1/…) answered HTTP 500.",
        "The ntfy channel f (http://127.0.0.1/…) answered HTTP 500.",
        "The email channel g (smtp://127.0.0.1:1) could not be reached (Connection refused).",
    ]
    logging.getLogger(EXPORTER_LOGGER).info("channels: %r", channels)
    shown = caplog.text + "".join(messages) + "".join(map(repr, channels))
    assert "httpx" in {record.name for record in caplog.records}  # httpx logged each request's URL...
    for secret in SECRETS:
        assert secret not in shown  # ...with the secrets redacted
    for request in receiver.requests:
        for secret in SECRETS:
            assert secret.encode() not in request.body


# --- configuration errors --------------------------------------------------------------------------


ERRORS = [
    (
        '[notify.team-slack]\nkind = "slack"\nwebhook_url = "https://hooks.slack.com/services/T0/B0/XyZsecret"',
        {},
        "--config keys.toml: [notify.team-slack]: webhook_url would put the webhook URL, a secret, in "
        "this file: use webhook_url_env (a variable holding it) or webhook_url_file (a file holding it alone).",
    ),
    (
        '[notify.tg]\nkind = "telegram"\nbot_token = "1:XyZsecret"\nchat_id = 1',
        {},
        "--config keys.toml: [notify.tg]: bot_token would put the bot token, a secret, in this file: use bot_token_env "
        "(a variable holding it) or bot_token_file (a file holding it alone).",
    ),
    (
        '[notify.mail]\nkind = "email"\npassword = "XyZsecret"',
        {},
        "--config keys.toml: [notify.mail]: password would put the SMTP password, a secret, in this file: use "
        "password_env (a variable holding it) or password_file (a file holding it alone).",
    ),
    (
        '[notify.page]\nkind = "pagerduty"',
        {},
        "--config keys.toml: [notify.page]: unknown kind 'pagerduty'; the kinds are slack, discord, teams, "
        "webhook, telegram, ntfy, email.",
    ),
    (
        '[notify.page]\nwebhook_url_env = "X"',
        {},
        "--config keys.toml: [notify.page]: kind is missing; the kinds are slack, discord, teams, webhook, "
        "telegram, ntfy, email.",
    ),
    (
        '[notify.team-slack]\nkind = "slack"\nwebhook_url_env = "SLACK_URL"\nchannel = "#ops"',
        {"SLACK_URL": "https://hooks.slack.com/services/XyZsecret"},
        "--config keys.toml: [notify.team-slack]: unknown setting 'channel' for kind 'slack'; its settings are "
        "kind, webhook_url_env, webhook_url_file.",
    ),
    (
        '[notify.team-slack]\nkind = "slack"\nwebhook_url_env = "SLACK_URL"',
        {},
        "--config keys.toml: [notify.team-slack]: webhook_url_env names the variable SLACK_URL, which is not set.",
    ),
    (
        '[notify.team-slack]\nkind = "slack"\nwebhook_url_env = "SLACK_URL"',
        {"SLACK_URL": " \n"},
        "--config keys.toml: [notify.team-slack]: webhook_url_env (the variable SLACK_URL) is blank: it must hold "
        "the webhook URL.",
    ),
    (
        '[notify.team-slack]\nkind = "slack"',
        {},
        "--config keys.toml: [notify.team-slack]: give webhook_url_env (a variable holding the webhook URL) or "
        "webhook_url_file (a file holding it alone).",
    ),
    (
        '[notify.team-slack]\nkind = "slack"\nwebhook_url_env = "A"\nwebhook_url_file = "b"',
        {"A": "https://hooks.slack.com/services/XyZsecret"},
        "--config keys.toml: [notify.team-slack]: give one of webhook_url_env and webhook_url_file, not both.",
    ),
    (
        '[notify.team-slack]\nkind = "slack"\nwebhook_url_env = "SLACK_URL"',
        {"SLACK_URL": "http://hooks.example.com/services/XyZsecret"},
        "--config keys.toml: [notify.team-slack]: webhook_url_env (the variable SLACK_URL) uses plain http to "
        "'hooks.example.com', which would send its token unencrypted: use https (plain http is allowed only to "
        "loopback addresses).",
    ),
    (
        '[notify.team-slack]\nkind = "slack"\nwebhook_url_env = "SLACK_URL"',
        {"SLACK_URL": "hooks.slack.com/services/XyZsecret"},
        "--config keys.toml: [notify.team-slack]: webhook_url_env (the variable SLACK_URL) must start with https://.",
    ),
    (
        '[notify.team-slack]\nkind = "slack"\nwebhook_url_env = "SLACK_URL"',
        {"SLACK_URL": "https://user:XyZsecret@hooks.slack.com/services/x"},
        "--config keys.toml: [notify.team-slack]: webhook_url_env (the variable SLACK_URL) must not carry a user "
        "name or password.",
    ),
    (
        '[notify.phone]\nkind = "ntfy"\ntopic = "t"\nserver = "http://ntfy.example.com"\ntoken_env = "T"',
        {"T": "tk_XyZsecret"},
        "--config keys.toml: [notify.phone]: server uses plain http to 'ntfy.example.com', which would send the "
        "access token unencrypted: use https (plain http is allowed only to loopback addresses).",
    ),
    (
        '[notify.phone]\nkind = "ntfy"\ntopic = "t"\npriority = 7',
        {},
        "--config keys.toml: [notify.phone]: priority must be 1 to 5 or one of min, low, default, high, max, "
        "urgent, not 7.",
    ),
    (
        '[notify.phone]\nkind = "ntfy"\ntopic = "a/b"',
        {},
        "--config keys.toml: [notify.phone]: topic must be 1 to 64 letters, digits, '_' or '-'.",
    ),
    (
        '[notify.tg]\nkind = "telegram"\nbot_token_env = "TG"\nchat_id = true',
        {"TG": "1:XyZsecret"},
        "--config keys.toml: [notify.tg]: chat_id must be a chat's number or a channel's @name, not true.",
    ),
    (
        '[notify.tg]\nkind = "telegram"\nbot_token_env = "TG"\nchat_id = 5',
        {"TG": "XyZsecret/../x"},
        "--config keys.toml: [notify.tg]: bot_token_env (the variable TG) does not hold a bot token as @BotFather "
        "gives it (digits, ':', then the rest).",
    ),
    (
        '[notify.mail]\nkind = "email"\nhost = "smtp.example.com"\nfrom = "a@example.org"\nto = "b@example.org"',
        {},
        '--config keys.toml: [notify.mail]: to must be a list of email addresses (to = ["ops@example.org"]), '
        'not "b@example.org".',
    ),
    (
        '[notify.mail]\nkind = "email"\nhost = "smtp.example.com"\nfrom = "a@example.org"\nto = ["b@example.org"]\n'
        'username = "a"',
        {},
        "--config keys.toml: [notify.mail]: give password_env (a variable holding the SMTP password) or "
        "password_file (a file holding it alone).",
    ),
    (
        '[notify.mail]\nkind = "email"\nhost = "smtp.example.com"\nfrom = "a@example.org"\nto = ["b@example.org"]\n'
        'username = "a"\npassword_env = "P"\nstarttls = false',
        {"P": "XyZsecret"},
        "--config keys.toml: [notify.mail]: starttls = false would send the SMTP password unencrypted to "
        "'smtp.example.com': keep starttls = true (plain SMTP with a password is allowed only to loopback addresses).",
    ),
    (
        '[notify."team slack"]\nkind = "slack"',
        {},
        "--config keys.toml: [notify.team slack]: a channel's name is letters, digits, '.', '_' or '-' (up to 63), "
        "starting with a letter or digit.",
    ),
]


@pytest.mark.parametrize(("toml", "environ", "message"), ERRORS)
def test_configuration_errors(toml: str, environ: dict[str, str], message: str, tmp_path: Path) -> None:
    """Each mistake in a [notify.NAME] table is a ConfigurationError naming the table and the setting,
    and none repeats the secret it was given."""
    assert config_error(toml, tmp_path, environ) == message
    assert "XyZsecret" not in message


def test_secret_files(tmp_path: Path) -> None:
    """A *_file path is relative to the config file's folder; a missing one says so; one other users can
    read is used, with a warning that says how to fix it; a file of two lines is refused."""
    url = f"https://hooks.slack.com/services/{SLACK_TOKEN}"
    secret_file(tmp_path, "readable", url, mode=0o644)
    secret_file(tmp_path, "two-lines", f"{url}\n{url}\n")
    warnings: list[str] = []
    readable = channel('[notify.s]\nkind = "slack"\nwebhook_url_file = "readable"', tmp_path, warn=warnings.append)
    assert repr(readable) == "SlackChannel(name='s', kind='slack')"
    assert warnings == [
        f"--config keys.toml: [notify.s]: webhook_url_file names the file {tmp_path}/readable, which other users "
        f"can read (mode 644); run: chmod 600 {tmp_path}/readable"
    ]
    assert config_error('[notify.s]\nkind = "slack"\nwebhook_url_file = "missing"', tmp_path) == (
        f"--config keys.toml: [notify.s]: webhook_url_file names the file {tmp_path}/missing, which cannot be "
        "read: No such file or directory."
    )
    assert config_error('[notify.s]\nkind = "slack"\nwebhook_url_file = "two-lines"', tmp_path) == (
        f"--config keys.toml: [notify.s]: webhook_url_file ({tmp_path}/two-lines) has 2 lines; it must hold the "
        "webhook URL alone."
    )


def test_alert_severity_is_checked() -> None:
    """An alert is a warning or information, nothing else."""
    with pytest.raises(ValueError, match="severity"):
        Alert("k", "below", "t", "x", "critical")  # type: ignore[arg-type]
