"""openrouter-credits against the live mock: outputs, exit codes, --watch, secrecy. In process
(``cli``) where a process adds nothing; as a real process (``run``) where the process matters: the
console script's exit statuses, a full disk, a closed pipe, Ctrl-C, a terminal, standard input, the
environment alone, --version and --help, --debug's traceback."""

from __future__ import annotations

import calendar
import json
import math
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Protocol

import httpx
import pytest
from commanding import COMMAND, answered_on_a_terminal, as_command, read_rest
from prometheus_client.parser import text_string_to_metric_families

from helpers import script_figures
from openrouter_credits._format import estimate_days, estimate_dollars, estimate_seconds, money
from openrouter_credits._money import exact_difference
from openrouter_credits.cli import view
from openrouter_credits.testing import MockOpenRouter, MockServer

KEY = "sk-or-v1-cli-SECRET-provisioning-5d1c"
INFERENCE = "sk-or-v1-cli-SECRET-inference-77ab"


LIMITED = "sk-or-v1-cli-SECRET-limited-4e2f"
UNLIMITED = "sk-or-v1-cli-SECRET-unlimited-91c0"
SECRETS = (KEY, INFERENCE, LIMITED, UNLIMITED)
TABLE = """\
Remaining      $17.50
Spendable      $17.50
Spend per day   $1.00  (weekday)
Days left        17.5  (17.5 to 17.5)
This month     {month}
Total credits  $25.00
Total usage     $7.50
Keys: 3 (0 near or past their limit; openrouter-credits keys lists them)
Top model of the last 7 days: openai/gpt-4.1 ($7.00)
"""


def tables(since: date) -> set[str]:
    """The view of $1 spent every day (no spread: each range a point), on the UTC day ``since`` or
    today (a run can cross midnight): its This month row, $1 each day of the month."""
    shown = set()
    for day in (since, datetime.now(UTC).date()):
        length = calendar.monthrange(day.year, day.month)[1]
        month = f"{money(length)}  (projected by {length} {day:%b}: {money(length)} to {money(length)}; "
        shown.add(TABLE.format(month=month + f"{money(day.day - 1)} so far)"))
    return shown


NOTE = (
    "note: this is not a management key, so it sees only its own limit and usage; the account's balance and "
    "spend need a management (provisioning) key: https://openrouter.ai/settings/management-keys\n"
)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(
        provisioning_keys={KEY: (25.0, 7.5)}, inference_keys={INFERENCE: None, LIMITED: 10.0, UNLIMITED: None}
    )
    with MockServer(app) as running:
        yield running


def steady_spend(mock: MockServer, usage: float = 1.0) -> None:
    """$``usage`` spent every day around today, so the view is the same whichever UTC day the
    command takes as today (a run can cross midnight)."""
    today = datetime.now(UTC).date()
    mock.app.set_activity({(today - timedelta(days=back)).isoformat(): usage for back in range(-1, 40)})


@pytest.fixture(autouse=True)
def _steady_spend(mock: MockServer) -> None:
    steady_spend(mock)
    script_figures(mock.app, INFERENCE, LIMITED, UNLIMITED)


def run(
    mock: MockServer | None, *args: str, key: str | None = KEY, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL")}
    if key is not None:
        env["OPENROUTER_API_KEY"] = key
    base = ["--base-url", mock.base_url] if mock is not None else []
    result = subprocess.run(
        [COMMAND, *base, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )
    for secret in SECRETS:
        assert secret not in result.stdout
        assert secret not in result.stderr
    return result


class Run(Protocol):
    def __call__(
        self,
        mock: MockServer | None,
        *args: str,
        key: str | None = KEY,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run`` in process (``as_command``): the same result, the same secrets kept out of it."""

    def run_in_process(
        mock: MockServer | None,
        *args: str,
        key: str | None = KEY,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        base = ["--base-url", mock.base_url] if mock is not None else []
        environment = {**({} if key is None else {"OPENROUTER_API_KEY": key}), **(env or {})}
        return as_command(capsys, monkeypatch, *base, *args, env=environment, stdin=stdin, secrets=SECRETS)

    return run_in_process


def test_table(mock: MockServer, cli: Run) -> None:
    """The default view: remaining, spendable, spend per day, days left, the totals and the key's view."""
    since = datetime.now(UTC).date()
    result = cli(mock)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout in tables(since)


def test_json(mock: MockServer, cli: Run) -> None:
    """--json keeps the three totals and adds the rest, daily spend and the key included."""
    result = cli(mock, "--json")
    assert (result.returncode, result.stderr) == (0, "")
    view = json.loads(result.stdout)
    daily = view.pop("daily_spend")
    assert len(daily) == 30
    assert {day["usage"] for day in daily} == {1.0}
    assert [date.fromisoformat(day["date"]) for day in daily] == sorted(date.fromisoformat(d["date"]) for d in daily)
    assert view["key"].pop("label").startswith("sk-or-v1-")
    forecast = view.pop("forecast")
    first = date.fromisoformat(forecast["daily"][0]["date"])
    assert first == date.fromisoformat(daily[-1]["date"]) + timedelta(days=1)  # today, then 6 days more
    month = calendar.monthrange(first.year, first.month)[1]
    assert forecast == {
        "method": "weekday",
        "reason": None,
        "history_days": 30,
        "spend_per_day": 1.0,
        "days_left": 17.5,
        "low": 17.5,
        "high": 17.5,
        "month_end_spend": month,
        "month_end_low": month,
        "month_end_high": month,
        "month_to_date": first.day - 1,
        "daily": [
            {"date": (first + timedelta(days=n)).isoformat(), "spend": 1.0, "low": 1.0, "high": 1.0} for n in range(7)
        ],
    }
    assert view == {
        "total_credits": 25.0,
        "total_usage": 7.5,
        "remaining": 17.5,
        "spendable": 17.5,
        "spendable_at_most": 17.5,
        "spend_per_day": 1.0,
        "days_left": 17.5,
        "key": {
            "is_management_key": True,
            "is_free_tier": False,
            "limit": None,
            "limit_remaining": None,
            "usage": 0.0,
            "usage_daily": 0.0,
            "usage_weekly": 0.0,
            "usage_monthly": 0.0,
            "limit_reset": None,
            "resets_at": None,
            "byok_usage": 0.0,
            "include_byok_in_limit": False,
            "budgets": [],
            "effective_budget": None,
        },
        "capped_by_budget": None,
        "unknown": {},
        "error": None,
    }


def prometheus_samples(text: str) -> dict[str, float]:
    """``{name{labels}: value}`` as prometheus_client's parser reads the exposition."""
    samples = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge", family.name
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def promtool(text: str) -> None:
    """`promtool check metrics` finds nothing to say (where Debian's prometheus package is installed)."""
    tool = shutil.which("promtool")
    if tool is None:
        pytest.skip("promtool is not installed: apt-get install prometheus (CI installs it)")
    checked = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")


def test_prometheus(mock: MockServer, cli: Run) -> None:
    """--format prometheus: the gauges by the naming conventions, up 1 and a timestamp; promtool agrees."""
    result = cli(mock, "--format", "prometheus")
    assert (result.returncode, result.stderr) == (0, "")
    samples = prometheus_samples(result.stdout)
    stamp = samples.pop("openrouter_credits_last_success_timestamp_seconds")
    today = datetime.fromtimestamp(stamp, UTC)
    month = float(calendar.monthrange(today.year, today.month)[1])  # $1 each day of this month
    assert abs(stamp - time.time()) < 60
    assert samples == {
        "openrouter_credits_purchased_dollars": 25.0,
        "openrouter_credits_used_dollars": 7.5,
        "openrouter_credits_remaining_dollars": 17.5,
        "openrouter_credits_spendable_dollars": 17.5,
        "openrouter_credits_spendable_at_most_dollars": 17.5,
        "openrouter_credits_spend_per_day_dollars": 1.0,
        "openrouter_credits_time_left_seconds": 17.5 * 86400,
        "openrouter_credits_time_left_low_seconds": 17.5 * 86400,  # $1 every day: no spread
        "openrouter_credits_time_left_high_seconds": 17.5 * 86400,
        "openrouter_credits_month_end_spend_dollars": month,
        "openrouter_credits_month_end_spend_low_dollars": month,
        "openrouter_credits_month_end_spend_high_dollars": month,
        'openrouter_credits_forecast_info{method="weekday"}': 1.0,
        'openrouter_credits_key_usage_dollars{period="day"}': 0.0,
        'openrouter_credits_key_usage_dollars{period="week"}': 0.0,
        'openrouter_credits_key_usage_dollars{period="month"}': 0.0,
        'openrouter_credits_key_usage_dollars{period="all"}': 0.0,
        "openrouter_credits_up": 1.0,
        'openrouter_credits_call_up{call="credits"}': 1.0,
        'openrouter_credits_call_up{call="key"}': 1.0,
        'openrouter_credits_call_up{call="activity"}': 1.0,
    }
    promtool(result.stdout)


def test_prometheus_for_an_ordinary_key_leaves_unknowns_out(mock: MockServer, cli: Run) -> None:
    """An ordinary key with a limit: its own series and what it may spend at most, no account series and
    no spendable (never 0, never the key's figure passed off as the account's)."""
    result = cli(mock, "--format", "prometheus", key=LIMITED)
    assert (result.returncode, result.stderr) == (0, "")
    samples = prometheus_samples(result.stdout)
    samples.pop("openrouter_credits_last_success_timestamp_seconds")
    assert samples == {
        "openrouter_credits_spendable_at_most_dollars": 7.5,
        "openrouter_credits_key_limit_remaining_dollars": 7.5,
        'openrouter_credits_key_budget_remaining_dollars{scope="key_limit"}': 7.5,
        'openrouter_credits_key_usage_dollars{period="day"}': 0.5,
        'openrouter_credits_key_usage_dollars{period="week"}': 1.5,
        'openrouter_credits_key_usage_dollars{period="month"}': 2.5,
        'openrouter_credits_key_usage_dollars{period="all"}': 2.5,
        "openrouter_credits_up": 1.0,
        'openrouter_credits_call_up{call="key"}': 1.0,  # /credits and /activity: refused by design
    }
    promtool(result.stdout)


def test_prometheus_on_failure_writes_no_zero_balance(mock: MockServer, cli: Run) -> None:
    """A failed fetch exposes up 0 and no balance series at all, never a zero balance."""
    result = cli(mock, "--format", "prometheus", key="sk-or-v1-cli-nobody-1234")
    assert result.returncode == 3
    assert prometheus_samples(result.stdout) == {"openrouter_credits_up": 0.0}
    assert result.stderr.startswith("error: OpenRouter did not accept the API key (HTTP 401")
    promtool(result.stdout)


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        (("--below", "20"), 1, "below: spendable $17.50 is under $20.00\n"),
        (("--below", "17.50"), 0, ""),
        (("--days-below", "20"), 1, "days-below: 17.5 days left is under 20.0\n"),
        (("--days-below", "17.5"), 0, ""),
        (("--below", "5", "--days-below", "3"), 0, ""),
    ],
)
def test_thresholds(mock: MockServer, args: tuple[str, ...], code: int, stderr: str, cli: Run) -> None:
    """--below compares spendable, --days-below the days left; either exits 1 when tripped."""
    since = datetime.now(UTC).date()
    result = cli(mock, *args)
    assert (result.returncode, result.stderr) == (code, stderr)
    assert result.stdout in tables(since)


def test_ordinary_key_with_a_limit(mock: MockServer, cli: Run) -> None:
    """An ordinary key exits 0 with its own view, spendable at most what its limit leaves (the account's
    balance, which caps it too, is out of its sight), and one statement."""
    result = cli(mock, key=LIMITED)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "Remaining      unknown\n"
        "Spendable      unknown  (at most $7.50, the account's balance needs a management key)\n"
        "Spend per day  unknown\n"
        "Days left      unknown\n"
        "This month     unknown\n"
        "Total credits  unknown\n"
        "Total usage    unknown\n"
        "Key limit       $10.00  ($7.50 left)\n"
        "Key usage        $2.50  (today $0.50, this week $1.50, this month $2.50)\n" + NOTE
    )
    below = cli(mock, "--below", "8", key=LIMITED)
    assert (below.returncode, below.stderr) == (1, "below: spendable is at most $7.50, under $8.00\n")
    days_below = cli(mock, "--days-below", "3", key=LIMITED)
    assert (days_below.returncode, days_below.stderr) == (
        3,
        "error: --days-below needs the days left, which is unknown: the account's balance needs a management "
        "(provisioning) key.\n",
    )


def test_ordinary_key_without_a_limit(mock: MockServer, cli: Run) -> None:
    """Without a limit nothing caps the key, and the account's balance is unknown: spendable is unknown."""
    result = cli(mock, "--json", key=UNLIMITED)
    assert (result.returncode, result.stderr) == (0, "")
    view = json.loads(result.stdout)
    assert [view[name] for name in ("remaining", "spendable", "spend_per_day", "days_left", "daily_spend")] == [
        None
    ] * 5
    assert view["key"]["limit"] is None
    assert view["unknown"]["spendable"] == (
        "this key has no limit, and the account's balance needs a management (provisioning) key"
    )
    below = cli(mock, "--below", "1", key=UNLIMITED)
    assert below.returncode == 3
    assert below.stderr == (
        "error: --below needs what this key may spend, which is unknown: this key has no limit, and the account's "
        "balance needs a management (provisioning) key.\n"
    )


def test_zero_zero_answer_to_an_ordinary_key_is_unknown(mock: MockServer, cli: Run) -> None:
    """/credits answering 0/0 to a key /key calls ordinary is unknown, not $0."""
    mock.app.zero_credits_for_ordinary_keys = True
    result = cli(mock, "--json", key=LIMITED)
    assert result.returncode == 0
    view = json.loads(result.stdout)
    assert (view["total_credits"], view["remaining"], view["spendable"], view["spendable_at_most"]) == (
        None,
        None,
        None,
        7.5,
    )
    assert view["unknown"]["remaining"].startswith("OpenRouter answered 0/0, as it does for keys that are not")


@pytest.mark.parametrize(
    ("endpoint", "unknown", "count"),
    [
        ("credits", ["Remaining", "Spendable", "Days left", "Total credits", "Total usage"], 9),
        ("key", ["Key limit", "Key usage"], 9),  # not known to be a management key: no account lines
        ("activity", ["Spend per day", "Days left", "This month"], 9),
    ],
)
def test_one_call_failing_hides_nothing_else(
    mock: MockServer, endpoint: str, unknown: list[str], count: int, cli: Run
) -> None:
    """One of the three calls failing: the others' answers show, its part is unknown, exit 4."""
    mock.app.fail_next(3, status=503, endpoint=endpoint)
    result = cli(mock, "--max-retries", "0")
    assert result.returncode == 4
    lines = result.stdout.splitlines()
    shown_unknown = [line.split("  ")[0].strip() for line in lines if line.split()[-1] == "unknown"]
    assert shown_unknown == unknown
    # A management key's own rows (usage 0, no limit) say nothing and are left out; unknown, they show.
    assert len(lines) == count
    assert result.stderr.startswith("error: OpenRouter failed to answer (HTTP 503: Injected fault: HTTP 503)")
    assert len(result.stderr.splitlines()) == 1


def test_all_three_failing(mock: MockServer) -> None:
    """All three calls failing is one error, exit 4, and nothing on stdout."""
    for endpoint in ("credits", "key", "activity"):
        mock.app.fail_next(1, status=502, endpoint=endpoint)
    result = run(mock, "--max-retries", "0")
    assert (result.returncode, result.stdout) == (4, "")
    assert result.stderr.startswith("error: OpenRouter failed to answer (HTTP 502")


@pytest.mark.parametrize(
    ("args", "key", "code", "stderr"),
    [
        ((), None, 2, "error: No API key: set OPENROUTER_API_KEY or use --api-key-file FILE.\n"),
        (("--jso",), KEY, 2, "unknown option --jso: did you mean --json?"),
        (("--base-url", "nonsense"), KEY, 2, "error: --base-url 'nonsense' must be an absolute http(s) URL"),
        (
            ("--base-url", "http://127.0.0.1:99999/api/v1"),
            KEY,
            2,
            "error: --base-url 'http://127.0.0.1:99999/api/v1' has port 99999: a port is a number from 1 to 65535.\n",
        ),
        (("--deadline", "0"), KEY, 2, "'0' is not a number of seconds above 0"),
        (
            (),
            "Bearer sk-or-v1-abc",
            2,
            "error: The API key in OPENROUTER_API_KEY starts with 'Bearer ': give the key alone (sk-or-v1-...); "
            "the client adds the 'Bearer' itself.\n",
        ),
        (("--base-url", "http://example.com/api/v1"), KEY, 2, "plain http to 'example.com'"),
        (("--timeout", "-1"), KEY, 2, "is not a number of seconds above 0"),
        (("--watch", "soon"), KEY, 2, "'soon' is not a number of seconds, 1 or more"),
        (("--watch", "0.5"), KEY, 2, "argument --watch: '0.5' is not a number of seconds, 1 or more"),
        (("--below", "-5"), KEY, 2, "argument --below: '-5' is not an amount of dollars, 0 or more"),
        (("--max-retries", "-1"), KEY, 2, "is not a whole number, 0 or more"),
        (("--below", "nan"), KEY, 2, "is not an amount of dollars"),
        (("--json", "--format", "table"), KEY, 2, "not allowed with argument"),
        (
            ("--api-key-file", "/nonexistent/key"),
            None,
            2,
            "error: --api-key-file: cannot read the key file /nonexistent/key: No such file",
        ),
        (("--watch", "5", "--format", "prometheus"), KEY, 2, "--watch prints lines or JSON"),
    ],
)
def test_usage_errors(args: tuple[str, ...], key: str | None, code: int, stderr: str, cli: Run) -> None:
    """Usage and configuration errors exit 2 with one error line and no traceback."""
    result = cli(None, *args, key=key)
    assert result.returncode == code
    assert stderr in result.stderr
    assert "Traceback" not in result.stderr


def test_auth_errors(mock: MockServer, cli: Run) -> None:
    """A 401 exits 3, with one line naming the command's own option, no hint repeating it; an
    ordinary key's 403s are not errors: it answers what it can (exit 0)."""
    unknown = cli(mock, key="sk-or-v1-not-known")
    assert unknown.returncode == 3
    assert re.fullmatch(
        r"error: OpenRouter did not accept the API key \(HTTP 401: User not found\)\. Check that OPENROUTER_API_KEY "
        r"or --api-key-file holds a current key\. \(request id mock-\d+\)\n",
        unknown.stderr,
    )
    ordinary = cli(mock, key=INFERENCE)
    assert (ordinary.returncode, ordinary.stderr) == (0, "")
    assert ordinary.stdout.endswith(NOTE)


def test_network_and_server_errors(mock: MockServer, cli: Run) -> None:
    """Connection refused and 5xx after retries exit 4; refused connections hint at --base-url."""
    refused = cli(None, "--base-url", "http://127.0.0.1:9/api/v1", "--max-retries", "0")
    assert refused.returncode == 4
    assert refused.stderr.startswith("error: Could not connect to http://127.0.0.1:9/api/v1/")
    assert refused.stderr.endswith("Check --base-url and the network.\n")
    assert len(refused.stderr.splitlines()) == 1
    mock.app.fail_next(5, status=503)
    assert cli(mock, "--max-retries", "1").returncode == 4


@pytest.mark.parametrize(
    ("fault", "detail"),
    [("wrong-types", "data.total_credits: expected number, got string"), ("not-json", "$: not JSON (Expecting value")],
)
def test_invalid_response(mock: MockServer, fault: str, detail: str, cli: Run) -> None:
    """A body that is not the credits object exits 5, naming the field."""
    mock.app.inject(fault)
    result = cli(mock)
    assert result.returncode == 5
    prefix = "error: OpenRouter sent HTTP 200 for the credits balance but its body does not match the API document ("
    assert result.stderr.startswith(prefix + detail)
    assert result.stdout.startswith("Remaining      unknown\n")


def test_api_key_file(mock: MockServer, tmp_path: Path, cli: Run) -> None:
    """--api-key-file reads the key from a file or, with -, from standard input (a process's, piped)."""
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    assert cli(mock, "--json", "--api-key-file", str(path), key=None).returncode == 0
    assert run(mock, "--json", "--api-key-file", "-", key=None, stdin=KEY + "\n").returncode == 0
    empty = cli(mock, "--api-key-file", "-", key=None, stdin="")
    assert (empty.returncode, empty.stderr) == (
        2,
        "error: --api-key-file: standard input is blank: it must hold a key (sk-or-v1-...).\n",
    )


def test_debug_shows_traceback_and_logs_but_not_the_key(mock: MockServer) -> None:
    """--debug adds DEBUG logs and the traceback, still without the key."""
    result = run(mock, "--debug", key="sk-or-v1-cli-nobody-1234")
    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert "openrouter_credits DEBUG GET" in result.stderr
    assert "httpcore" not in result.stderr  # it prints headers: kept quiet


def test_version_and_help() -> None:
    """--version names the version; --help shows examples and exit codes."""
    assert run(None, "--version").stdout == "openrouter-credits 0.1.0\n"
    help_text = run(None, "--help").stdout
    assert "openrouter-credits --below 5" in help_text
    assert "5    invalid or unexpected response from the server" in help_text


def read_lines(proc: subprocess.Popen[str], count: int, timeout: float) -> list[str]:
    """Up to ``count`` lines of the process's stdout, waiting at most ``timeout`` seconds."""
    assert proc.stdout is not None
    lines: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while len(lines) < count and time.monotonic() < deadline:
        if selector.select(timeout=max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
    return lines


def watching(
    monkeypatch: pytest.MonkeyPatch, polls: int, between: Callable[[int], None] = lambda n: None
) -> list[float]:
    """--watch's waits injected: ``between(n)`` after the poll ``n`` (1, 2, ...), Ctrl-C in the wait
    after the poll ``polls``; the waits asked for."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == polls:
            raise KeyboardInterrupt
        between(len(waits))

    monkeypatch.setattr(view, "watch", partial(view.watch, sleep=sleep))
    return waits


STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def test_watch_across_a_failure(mock: MockServer, cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """--watch: one line per poll with the change of what may be spent, a failed call reported and
    survived (its part unknown for that poll), Ctrl-C exits 0."""

    def between(poll: int) -> None:
        if poll == 1:
            mock.app.set_balance(total_usage=8.25)
            mock.app.fail_next(1, status=500)

    waits = watching(monkeypatch, 3, between)
    result = cli(mock, "--watch", "1", "--max-retries", "0", "--below", "17")
    assert (result.returncode, waits) == (0, [1.0, 1.0, 1.0])
    first, *lines = result.stdout.splitlines(keepends=True)
    assert re.fullmatch(rf"{STAMP}  remaining \$17\.50  spendable \$17\.50  credits \$25\.00  usage \$7\.50\n", first)
    assert re.fullmatch(rf"{STAMP}  remaining unknown  spendable unknown\n", lines[0])
    assert re.fullmatch(
        rf"{STAMP}  remaining \$16\.75  spendable \$16\.75  credits \$25\.00  usage \$8\.25  change -\$0\.75"
        rf"  BELOW \$17\.00\n",
        lines[1],
    )
    assert len(lines) == 2
    assert re.match(rf"{STAMP} error: OpenRouter failed to answer \(HTTP 500", result.stderr)
    assert "Traceback" not in result.stderr


def test_watch_json_lines(mock: MockServer, cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """--watch --json prints the JSON view once per poll, with its time and the change (null at first)."""
    watching(monkeypatch, 2)
    result = cli(mock, "--watch", "1", "--json")
    assert result.returncode == 0
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert re.fullmatch(STAMP, first["time"])
    assert re.fullmatch(STAMP, second["time"])
    assert (first["remaining"], first["spendable"], first["days_left"], first["change"]) == (17.5, 17.5, 17.5, None)
    assert (second["remaining"], second["change"]) == (17.5, 0.0)
    assert len(first["daily_spend"]) == 30


def test_watch_ends_at_ctrl_c(mock: MockServer) -> None:
    """--watch as a process: a line per poll until Ctrl-C (SIGINT), which ends it with status 0 and no
    traceback."""
    env = {**os.environ, "OPENROUTER_API_KEY": KEY}
    command = [COMMAND, "--base-url", mock.base_url, "--watch", "60"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = read_lines(proc, 1, timeout=20)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert re.fullmatch(
        rf"{STAMP}  remaining \$17\.50  spendable \$17\.50  credits \$25\.00  usage \$7\.50\n", first[0]
    )
    assert (out, "Traceback" in err) == ("", False)
    assert KEY not in out + err


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "$0.00"),
        (17.5, "$17.50"),
        (1234.5, "$1,234.50"),
        (-0.5, "-$0.50"),
        (0.004, "$0.004"),
        (0.0049, "$0.005"),
        (0.005, "$0.01"),
        (-0.0001234, "-$0.0001"),
        (1.2e-9, "$0.000000001"),
    ],
)
def test_money(value: float, text: str) -> None:
    """Two decimals, more only where two would show a non-zero amount as 0.00."""
    assert money(value) == text


@pytest.mark.parametrize(
    ("value", "dollars", "days", "seconds"),
    [
        (0.06999999999999999, 0.07, 0.07, 6048.0),
        (249.3806397760127, 249.38064, 249.38, 21546432.0),
        (2.0807533942067993, 2.08075339, 2.08, 179712.0),
        (0.08196022962932764, 0.0819602296, 0.08, 6912.0),
        (1234567.891234, 1234567.89, 1234567.89, 106666665696.0),
        (0.0, 0.0, 0.0, 0.0),
        (None, None, None, None),
        (math.inf, math.inf, math.inf, None),
    ],
)
def test_estimates_as_numbers(
    value: float | None, dollars: float | None, days: float | None, seconds: float | None
) -> None:
    """An estimate in JSON and Prometheus: dollars to 9 significant digits, days to 0.01 and seconds
    whole (a hundredth of a day is 864 s), without binary noise; unknown stays None, for ever inf
    (JSON's null, an absent series)."""
    assert estimate_dollars(value) == dollars
    assert estimate_days(value) == days
    assert estimate_seconds(value) == seconds


def test_cli_imports_no_server_code() -> None:
    """Starting the command (its parser built) loads neither asyncio, the exporter, uvicorn nor the mock."""
    code = "import sys, openrouter_credits.cli as c; c.parser(); "
    code += "print(sorted(m for m in sys.modules if m.split('.')[0] in "
    code += "('uvicorn', 'starlette', 'h11_impl', 'asyncio') or m.startswith(('openrouter_credits.testing', "
    code += "'openrouter_credits.exporter'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "[]\n"


def test_mock_control_is_reachable(mock: MockServer, cli: Run) -> None:
    """The live mock's control endpoint drives what the command sees."""
    control = mock.base_url.removesuffix("/api/v1") + "/_mock/balance"
    httpx.post(control, json={"key": KEY, "total_credits": 10, "total_usage": 9.9})
    view = json.loads(cli(mock, "--json").stdout)
    assert (view["total_credits"], view["total_usage"], view["remaining"]) == (10.0, 9.9, 0.1)


def test_watch_change_has_no_binary_noise() -> None:
    """The change between polls is exact: 0.3 then 0.1 remaining is a change of -$0.20."""
    assert exact_difference(0.1, 0.3) == -0.2
    assert money(exact_difference(0.1, 0.3)) == "-$0.20"
    assert money(exact_difference(10.000000000000002, 10.0)) == "$0.000000000000002"


# --- output, key handling and wording -----------------------------------------------------------


def test_output_error_is_one_line_with_its_own_status(mock: MockServer) -> None:
    """A failed write (a full disk) is an error line and exit 6, never 1 ('below') or a traceback."""
    env = {**os.environ, "OPENROUTER_API_KEY": KEY}
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [COMMAND, "--base-url", mock.base_url, "--format", "prometheus"],
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 6
    assert result.stderr == (
        "error: could not write the output: No space left on device. Check the disk or the file it goes to.\n"
    )


def test_closed_pipe_ends_quietly(mock: MockServer) -> None:
    """A reader that went away (| head) ends the command quietly, with status 141 as for Unix tools."""
    env = {**os.environ, "OPENROUTER_API_KEY": KEY}
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [COMMAND, "--base-url", mock.base_url],
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")


def test_timeout_names_the_options(mock: MockServer, cli: Run) -> None:
    """A timeout says which options to raise, in the command's terms, and how many attempts it made."""
    mock.app.latency = 1.0  # five times the timeout; the teardown waits for the answers in flight
    result = cli(mock, "--timeout", "0.2", "--max-retries", "1")
    assert result.returncode == 4
    assert result.stderr.startswith("error: Timed out waiting for the response")
    assert result.stderr.endswith("Check the network, or raise --timeout or --deadline. (after 2 attempts)\n")
    assert "Retrying" not in result.stderr


def test_key_file_mistakes(mock: MockServer, tmp_path: Path, cli: Run) -> None:
    """A key file holding a shell assignment is refused; one others can read works, with a warning."""
    assignment = tmp_path / "assignment"
    assignment.write_text(f"OPENROUTER_API_KEY={KEY}\n")
    assignment.chmod(0o600)
    refused = cli(mock, "--api-key-file", str(assignment), key=None)
    assert (refused.returncode, refused.stderr) == (
        2,
        f"error: --api-key-file: the key file {assignment} starts with 'OPENROUTER_API_KEY=': give the key alone "
        "(sk-or-v1-...), not a shell assignment.\n",
    )
    shared = tmp_path / "shared"
    shared.write_text(KEY)
    shared.chmod(0o644)
    warned = cli(mock, "--json", "--api-key-file", str(shared), key=None)
    assert warned.returncode == 0
    assert warned.stderr == (
        f"warning: --api-key-file: the key file {shared} can be read by other users (mode 644); run: chmod 600 "
        f"{shared}\n"
    )
    shared.chmod(0o600)
    assert cli(mock, "--json", "--api-key-file", str(shared), key=None).stderr == ""
    bad = tmp_path / "bad"
    bad.write_text("sk-or-v1-abc def")
    bad.chmod(0o600)
    assert cli(mock, "--api-key-file", str(bad), key=None).stderr == (
        f"error: --api-key-file: the key file {bad} has a character that cannot be sent in an HTTP header "
        "(at position 13): check that it was copied whole and nothing else.\n"
    )
    for name, text, problem in (
        ("bom", "\ufeffsk-or-v1-bom-key\n", None),
        ("two-lines", "sk-or-v1-first\nsk-or-v1-second\n", "has 2 lines; it must hold the key alone (sk-or-v1-...)."),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        result = cli(mock, "--json", "--api-key-file", str(path), key=None)
        if problem is None:  # a BOM is stripped: the key is sent as written, and refused as unknown (401)
            assert (result.returncode, "\ufeff" in result.stderr) == (3, False)
        else:
            assert result.stderr == f"error: --api-key-file: the key file {path} {problem}\n"


def test_key_from_a_terminal_is_asked_without_echo(mock: MockServer) -> None:
    """--api-key-file - on a terminal prompts on stderr and does not echo what is typed."""
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    argv = [COMMAND, "--base-url", mock.base_url, "--json", "--api-key-file", "-"]
    code, out, seen = answered_on_a_terminal(argv, env, b"(not shown): ", KEY.encode() + b"\n")
    assert code == 0
    assert json.loads(out)["remaining"] == 17.5
    assert seen.startswith(b"OpenRouter API key (not shown): ")
    assert KEY.encode() not in seen


def test_base_url_from_the_environment(mock: MockServer) -> None:
    """OPENROUTER_BASE_URL is used when --base-url is not given; python -m openrouter_credits is the command."""
    env = {**os.environ, "OPENROUTER_API_KEY": KEY, "OPENROUTER_BASE_URL": mock.base_url}
    result = subprocess.run(
        [sys.executable, "-m", "openrouter_credits", "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["remaining"] == 17.5
    env["OPENROUTER_BASE_URL"] = "ftp://nowhere"
    wrong = subprocess.run([COMMAND], env=env, capture_output=True, text=True, check=False)
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("error: OPENROUTER_BASE_URL 'ftp://nowhere' must be an absolute http(s) URL")


def test_library_is_silent_without_logging_setup(mock: MockServer) -> None:
    """A script that set up no logging prints nothing of the retries (the logger has a NullHandler)."""
    script = (
        "from openrouter_credits import CreditsClient, ServerError\n"
        f"client = CreditsClient({KEY!r}, base_url={mock.base_url!r}, max_retries=1, sleep=lambda s: None)\n"
        "try:\n    client.get_credits()\nexcept ServerError as exc:\n    print(exc)\n"
    )
    mock.app.fail_next(2, status=503)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert result.stderr == ""
    assert result.stdout.startswith(
        "OpenRouter failed to answer (HTTP 503: Injected fault: HTTP 503). Try again later."
    )
    assert result.stdout.endswith("; after 2 attempts)\n")


# --- the spend chart ----------------------------------------------------------------------------


def chart_lines(first: date, bar: str) -> list[str]:
    """The chart of 30 days at $1.00 each, from ``first``."""
    rows = [f"{(first + timedelta(days=n)).isoformat()} $1.00 {bar * 40}" for n in range(30)]
    return [*rows, "Total $30.00 over 30 days, $1.00 a day on average"]


def test_spend_chart_in_ascii_when_not_a_terminal(mock: MockServer, cli: Run) -> None:
    """openrouter-credits spend, into a pipe: one '#' bar a day, scaled to the largest, then the total."""
    result = cli(mock, "spend")
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines == chart_lines(date.fromisoformat(lines[0][:10]), "#")
    assert date.fromisoformat(lines[29][:10]) in {datetime.now(UTC).date() - timedelta(days=d) for d in (0, 1, 2)}


def test_spend_chart_in_utf8_on_a_terminal(mock: MockServer) -> None:
    """On a UTF-8 terminal the bars are block characters."""
    import pty

    main, child = pty.openpty()
    env = {**os.environ, "OPENROUTER_API_KEY": KEY, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([COMMAND, "--base-url", mock.base_url, "spend"], stdout=child, stderr=child, env=env)
    os.close(child)
    try:
        seen = read_rest(main)
        proc.wait(timeout=30)
    finally:
        os.close(main)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    lines = seen.decode("utf-8").replace("\r\n", "\n").splitlines()
    assert lines == chart_lines(date.fromisoformat(lines[0][:10]), "█")


def test_spend_needs_a_management_key(mock: MockServer, cli: Run) -> None:
    result = cli(mock, "spend", key=LIMITED)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr.startswith(
        "error: This key may not read the account's activity (HTTP 403: Only management keys can fetch activity for "
        "an account). That needs a provisioning (management) key"
    )


def test_command_options_after_the_command_name(mock: MockServer, cli: Run) -> None:
    """Options given after 'spend' work, and do not undo those given before it."""
    result = cli(None, "--base-url", mock.base_url, "spend", "--max-retries", "0")
    assert result.returncode == 0
    assert cli(None, "spend", "--base-url", mock.base_url).returncode == 0


# --- several keys (--config) ---------------------------------------------------------------------


def keys_file(tmp_path: Path, below: str = "") -> Path:
    limited = tmp_path / "limited.key"
    limited.write_text(LIMITED)
    limited.chmod(0o600)
    config = tmp_path / "keys.toml"
    config.write_text(
        f'[keys.main]\napi_key_env = "CLI_MAIN_KEY"\n{below}\n[keys.limited]\napi_key_file = "{limited}"\n'
    )
    return config


def run_config(cli: Run, mock: MockServer, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command with ``--config config``, the key of [keys.main] in CLI_MAIN_KEY, none in OPENROUTER_API_KEY."""
    return cli(None, "--base-url", mock.base_url, "--config", str(config), *args, key=None, env={"CLI_MAIN_KEY": KEY})


def test_config_table_json_and_prometheus(mock: MockServer, tmp_path: Path, cli: Run) -> None:
    """--config: one table row per key, a JSON list, series labelled by key; promtool agrees."""
    config = keys_file(tmp_path)
    table = run_config(cli, mock, config)
    assert (table.returncode, table.stderr) == (0, "")
    assert table.stdout == (
        "Key      Remaining      Spendable  Spend/day  Days left  Limit left\n"
        "main        $17.50         $17.50      $1.00       17.5        none\n"
        "limited    unknown  at most $7.50    unknown    unknown       $7.50\n"
    )
    listed = json.loads(run_config(cli, mock, config, "--json").stdout)
    assert [
        (entry["name"], entry["remaining"], entry["spendable"], entry["spendable_at_most"]) for entry in listed
    ] == [
        ("main", 17.5, 17.5, 17.5),
        ("limited", None, None, 7.5),
    ]
    exposition_text = run_config(cli, mock, config, "--format", "prometheus").stdout
    samples = prometheus_samples(exposition_text)
    assert samples['openrouter_credits_remaining_dollars{key="main"}'] == 17.5
    assert samples['openrouter_credits_spendable_at_most_dollars{key="limited"}'] == 7.5
    assert 'openrouter_credits_spendable_dollars{key="limited"}' not in samples
    assert 'openrouter_credits_remaining_dollars{key="limited"}' not in samples
    assert samples['openrouter_credits_up{key="limited"}'] == 1.0
    promtool(exposition_text)


def test_config_exit_status_is_the_worst_across_keys(mock: MockServer, tmp_path: Path, cli: Run) -> None:
    """A threshold in the file trips for its key (exit 1); a failing key makes it 4."""
    config = keys_file(tmp_path, below="below = 20")
    tripped = run_config(cli, mock, config)
    assert (tripped.returncode, tripped.stderr) == (1, "below: main: spendable $17.50 is under $20.00\n")
    mock.app.fail_next(5, status=503, endpoint="key")
    mock.app.fail_next(5, status=503, endpoint="credits")
    failing = run_config(cli, mock, config, "--max-retries", "0")
    assert failing.returncode == 4
    assert failing.stderr.startswith("error: main: OpenRouter failed to answer (HTTP 503")
    assert "failed     failed" in failing.stdout
