"""Defaults, in one place. Every public signature shows these values."""

from __future__ import annotations

import httpx

__version__ = "0.1.0"

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
API_KEY_ENV = "OPENROUTER_API_KEY"
BASE_URL_ENV = "OPENROUTER_BASE_URL"

#: Per attempt: 5 s to connect, 10 s for each read, write and wait for a pooled connection.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: The whole call, retries and the waits between them included, never takes longer than this.
DEFAULT_DEADLINE = 30.0
DEFAULT_MAX_RETRIES = 2

#: An analytics query asks for up to this many rows (``limit``): the most the API answers (its own
#: default is 1,000).
DEFAULT_QUERY_LIMIT = 10_000

#: Backoff when the server does not say how long to wait: 0.5 s, 1 s, 2 s, ... capped at 8 s, less
#: up to a quarter of random jitter.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
#: A server that asks for a longer wait than this gets its error raised at once instead.
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: Requests one client has on the wire at once; more calls wait their turn (within their deadline).
#: httpcore's pool spends time quadratic in the requests queued on it: a thousand concurrent calls on
#: a fresh httpx.AsyncClient crawl at about 47/s on loopback while it opens its connections. With at
#: most 20 requests in the pool the same thousand run at about 470/s (make bench).
MAX_CONNECTIONS = 20

#: The credits and key bodies are under 2 KB; anything past this is not an answer worth reading.
MAX_RESPONSE_BYTES = 1024 * 1024
#: 30 days of activity is about 300 bytes a row, one row per model and endpoint a day: 32 MiB holds
#: over 100,000 rows (a heavy account of 200 models is 6,000).
MAX_ACTIVITY_BYTES = 32 * 1024 * 1024
#: An analytics answer holds at most 10,000 rows of a date, two labels and a few metrics: well under
#: 200 bytes each.
MAX_ANALYTICS_BYTES = 8 * 1024 * 1024
#: How much of an error body an exception keeps.
MAX_BODY_EXCERPT = 2000
MAX_MESSAGE_EXCERPT = 200

REQUEST_ID_HEADERS = ("x-request-id", "x-openrouter-request-id", "request-id", "cf-ray")
#: A key (or any other secret) shorter than this is not looked for in messages and log lines to redact
#: it (a test's "k" would turn "Check" into "Chec[redacted]"); real keys are about 70 characters.
MIN_REDACTED_KEY_LENGTH = 8
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MANAGEMENT_KEYS_URL = "https://openrouter.ai/settings/management-keys"
USER_AGENT = f"openrouter-credits/{__version__}"

#: A name from outside (a listed key's, a model's) is shown in logs, the terminal and the status page
#: up to this many characters, the rest cut with an ellipsis (the page keeps the whole name in a title).
SHOWN_NAME_CHARS = 60

#: A key file (``--api-key-file``, ``api_key_file``) or standard input is read up to this many
#: characters: a key is about 70.
MAX_KEY_FILE_CHARS = 4096

# --- the command line and the exporter: --config's settings -------------------------------------------

#: --config is read up to this many bytes (a file of keys and channels is a few KiB): a file that is
#: larger (a link to /dev/zero) is refused rather than read into memory.
MAX_CONFIG_BYTES = 1024 * 1024
#: Today's spend is a spike only from this many dollars on (``spike_min_dollars``, ``--spike-min-dollars``).
DEFAULT_SPIKE_MIN_DOLLARS = 1.0
#: A discovering key's per-model spend series: the most spent models, then "other" (``top_models``).
DEFAULT_TOP_MODELS = 10
#: A discovering key's listed keys exported: the most spent, then one "other" (``max_keys``).
DEFAULT_MAX_KEYS = 500

# --- the exporter (openrouter-credits serve) ---------------------------------------------------------

#: Where it listens unless told otherwise: loopback only (``--listen``; ``:PORT`` is this host).
DEFAULT_EXPORTER_PORT = 9877
DEFAULT_LISTEN_HOST = "127.0.0.1"
DEFAULT_LISTEN = f"{DEFAULT_LISTEN_HOST}:{DEFAULT_EXPORTER_PORT}"
#: Connections ``serve`` answers at once (--max-connections); past them a new one gets a 503.
SERVE_MAX_CONNECTIONS = 1024
#: Seconds between two polls of a key (``--interval``).
DEFAULT_POLL_INTERVAL = 60.0
#: ``GET /activity`` (30 days of rows, the heaviest call) is asked at most this often.
DEFAULT_ACTIVITY_INTERVAL = 15 * 60.0
#: A discovering key's ``GET /keys`` is asked at most this often, whatever the interval, and not again
#: for this long after a 429 that gives no Retry-After.
MIN_KEYS_INTERVAL = 60.0
KEYS_RATE_LIMIT_WAIT = 60.0
#: The longest a 429's Retry-After may delay a key's next poll.
MAX_POLL_WAIT = 15 * 60.0

#: An alert's post to a channel is abandoned after this many seconds. A notification is tried this
#: many times (2 s, 4 s, 8 s, ... then every 5 minutes apart: about an hour), then dropped and counted
#: (``openrouter_credits_alerts_dropped_total``); one the receiver refuses as malformed (a 4xx other
#: than 408 and 429) is dropped at once.
DEFAULT_DELIVERY_TIMEOUT = 10.0
DEFAULT_DELIVERY_RETRIES = 20
#: The longest wait between two attempts of one channel (2 s, 4 s, 8 s, ... up to 5 minutes).
MAX_DELIVERY_BACKOFF = 5 * 60.0
#: An alert still undelivered after this many seconds is dropped (and counted): its news is stale.
MAX_ALERT_AGE = 24 * 3600.0
#: The outbox holds at most this many alerts (after coalescing: one per channel, key and threshold);
#: past it the oldest are dropped (and counted).
MAX_OUTBOX_ENTRIES = 10_000
#: Alerts of one channel waiting together and alike (listed keys crossing the same threshold) go as one
#: notification of at most this many ("37 keys listed by account are below 10 % of their limits: ...").
MAX_ALERTS_PER_NOTIFICATION = 1000
#: A state file (the outbox, alerts.json) larger than this is not read: it is moved aside as corrupt.
MAX_STATE_FILE_BYTES = 32 * 1024 * 1024
#: A failing channel is logged at most once this often (seconds).
DELIVERY_LOG_EVERY = 60.0
#: The defaults of a channel's ``api_url`` (Telegram's Bot API) and ``server`` (ntfy's public one), and
#: of email's ``port``: SMTP's submission port with ``starttls = true``, else plain SMTP's.
TELEGRAM_API_URL = "https://api.telegram.org"
NTFY_SERVER = "https://ntfy.sh"
SMTP_STARTTLS_PORT = 587
SMTP_PLAIN_PORT = 25
#: A channel's secret file (``*_file``) larger than this holds no secret.
MAX_SECRET_FILE_BYTES = 8192

# --- changes to keys: the command's and serve's guards ([guard.NAME]) --------------------------------

#: A guard makes at most this many attempts an hour (``max_actions_per_hour``), failed, done or dry run.
DEFAULT_MAX_ACTIONS_PER_HOUR = 5
#: ``when = "below_fraction"`` acts under this fraction of a key's limit left (``fraction``).
DEFAULT_GUARD_FRACTION = 0.1
#: The journal of changes to keys in the state directory is rotated past this size (an entry is a few
#: hundred bytes: about 20,000 of them); a read takes at most this much of each of its two files.
MAX_JOURNAL_BYTES = 8 * 1024 * 1024
