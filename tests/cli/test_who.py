"""Spend by who spent it, from the analytics API: spend --by user (the end user), member and app,
report --by user for a period; the dimension the meta names (never one taken on trust); no such
dimension, analytics refused or absent: exit 3 saying so, never an empty table; an answer cut at its
limit: the rest as one line, the totals exact."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from commanding import KEY, ORDINARY, in_process

from openrouter_credits import CreditsClient, OperationUnavailable
from openrouter_credits._analytics import AnalyticsMeta, AnalyticsName, who_dimension
from openrouter_credits.cli._who import NOT_LISTED, Unavailable, who_spent
from openrouter_credits.testing import MockServer

USERS = """\
User            30 days  Share  7 days
user-1042         $0.83  40.1%   $0.24  ########################################
user-3371         $0.43  20.8%   $0.10  #####################
(no user sent)    $0.42  20.3%   $0.06  ####################
user-2213         $0.39  18.8%   $0.10  ###################
Total $2.07 over 30 days, $0.50 in the last 7
"""


def test_spend_by_end_user(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The analytics API's end-user dimension over the 30 completed days and the last 7: the same total
    as spend --by model; requests without a user as their own line; JSON with requests and shares."""
    assert in_process(mock, capsys, monkeypatch, "spend", "--by", "user") == (0, USERS, "")
    _, by_model, _ = in_process(mock, capsys, monkeypatch, "spend", "--by", "model")
    assert by_model.splitlines()[-1] == USERS.splitlines()[-1]
    _, out, _ = in_process(mock, capsys, monkeypatch, "spend", "--by", "user", "--json")
    rows = json.loads(out)
    assert [(r["user"], r["usage"], r["usage_7d"]) for r in rows][2] == ("(no user sent)", 0.42, 0.06)
    assert sum(r["requests"] for r in rows) == sum(
        row["requests"] for row in mock.app.activity(mock.app.provisioning_key)
    )
    _, out, _ = in_process(mock, capsys, monkeypatch, "spend", "--by", "user", "--top", "1")
    assert [line.split()[0] for line in out.splitlines()[1:3]] == ["user-1042", "other"]


def test_spend_by_member_and_app(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--by member: the organization's member (OpenRouter's user dimension); --by app: the app."""
    code, out, _ = in_process(mock, capsys, monkeypatch, "spend", "--by", "member")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == ["mock@example.com"]
    code, out, _ = in_process(mock, capsys, monkeypatch, "spend", "--by", "app", "--json")
    assert [row["app"] for row in json.loads(out)] == ["Mock Chat", "Mock Batch"]


def test_no_end_user_dimension(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Meta without an end-user dimension, analytics refused (403), or an ordinary key: exit 3 and a
    sentence, never an empty table; a server error is not passed off as one (exit 4)."""
    mock.app.set_analytics_dimensions(["model", "api_key_id", "user", "app"])
    code, out, err = in_process(mock, capsys, monkeypatch, "spend", "--by", "user")
    assert (code, out) == (3, "")
    assert err == (
        "error: spend --by user needs the analytics API's end user (what requests send in their user field) "
        "dimension, and GET /analytics/meta lists none (its dimensions: model, api_key_id, user, app): OpenRouter "
        "cannot tell spend per end-user here.\n"
    )
    assert in_process(mock, capsys, monkeypatch, "spend", "--by", "member")[0] == 0  # the member's is there
    mock.app.set_analytics_dimensions(None)
    mock.app.fail_next(status=403, endpoint="analytics/meta")
    code, out, err = in_process(mock, capsys, monkeypatch, "spend", "--by", "app")
    assert (code, out) == (3, "")
    assert "and the analytics API refused this key (HTTP 403: " in err
    code, out, err = in_process(mock, capsys, monkeypatch, "spend", "--by", "user", key=ORDINARY)
    assert (code, out) == (3, "")
    assert "refused this key (HTTP 403: Only management keys can perform this operation)" in err
    mock.app.fail_next(status=500, endpoint="analytics/query")
    code, out, err = in_process(mock, capsys, monkeypatch, "spend", "--by", "user", "--max-retries", "0")
    assert (code, out) == (4, "")


def test_report_by_user(mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """report --by user: a period from the analytics API (no ledger needed); CSV totals exact; it goes
    alone, with a period, and has no FOCUS export."""
    code, out, _ = in_process(
        mock, capsys, monkeypatch, "report", "--from", "2026-11-01", "--to", "2026-11-24", "--by", "user"
    )
    assert code == 0
    assert out.splitlines()[-1] == "Total $1.68 from 2026-11-01 to 2026-11-24, from the analytics API"
    code, out, _ = in_process(mock, capsys, monkeypatch, "report", "--month", "2026-11", "--by", "member", "--csv")
    assert out.splitlines()[0] == "member,usage,requests"
    assert out.splitlines()[1:] == ["mock@example.com,1.68,158"]  # no total row: the column sums
    with pytest.raises(SystemExit) as usage:
        in_process(mock, capsys, monkeypatch, "report", "--by", "user,model", "--month", "2026-11")
    assert usage.value.code == 2
    assert "user, member, app come from the analytics API, one at a time: give it alone" in capsys.readouterr().err
    for args, says in [
        (["--by", "user"], "--by breaks a period down: add --month YYYY-MM or --from/--to."),
        (["--by", "user", "--month", "2026-11", "--format", "focus"], "it has no --format focus or --reconcile"),
    ]:
        code, out, err = in_process(mock, capsys, monkeypatch, "report", *args)
        assert (code, out) == (2, "")
        assert says in err


# --- the dimension, and the answers, without the mock ------------------------------------------------


def meta(*dimensions: tuple[str, str]) -> AnalyticsMeta:
    return AnalyticsMeta((), tuple(AnalyticsName(name, label) for name, label in dimensions), (), ())


def test_the_dimension_is_the_one_meta_names() -> None:
    """The end user's is the dimension whose name or label says so, whatever it is called; OpenRouter's
    user (the member's) is never taken for it, nor one that says end user for the member's."""
    assert who_dimension(meta(("user", "User"), ("external_user", "External User")), "user") == "external_user"
    assert who_dimension(meta(("user", "User"), ("eu", "End user")), "user") == "eu"
    assert who_dimension(meta(("user", "User"), ("app", "App")), "user") is None
    assert who_dimension(meta(("user", "User")), "member") == "user"
    assert who_dimension(meta(("user", "End User")), "member") is None
    assert who_dimension(meta(("model", "Model")), "app") is None


def answers(request: httpx.Request) -> httpx.Response:
    """Meta, and queries cut at their limit: two users listed of more; the totals without dimensions."""
    if request.url.path.endswith("/analytics/meta"):
        data = {
            "metrics": [{"name": "total_usage", "display_label": "Total Usage", "is_rate": False,
                         "display_format": "currency"}],
            "dimensions": [{"name": "external_user", "display_label": "External User"}],
            "operators": [], "granularities": [],
        }  # fmt: skip
        return httpx.Response(200, json={"data": data})
    body = json.loads(request.content)
    if body.get("dimensions"):
        rows: list[dict[str, Any]] = [
            {"external_user": "a", "total_usage": 5.0},
            {"external_user": "b", "total_usage": 2.5},
        ]
        return httpx.Response(200, json={"data": {"data": rows, "metadata": {"query_time_ms": 1, "row_count": 2,
                                                                              "truncated": True}}})  # fmt: skip
    whole = 9.25 if body["time_range"]["start"].startswith("2026-10") else 1.0
    metadata = {"query_time_ms": 1, "row_count": 1, "truncated": False}
    return httpx.Response(200, json={"data": {"data": [{"total_usage": whole}], "metadata": metadata}})


def test_an_answer_cut_at_its_limit() -> None:
    """Rows OpenRouter left out are one "(not listed)" line: the total is the API's whole total."""
    with (
        httpx.Client(transport=httpx.MockTransport(answers)) as http,
        CreditsClient(KEY, http_client=http) as client,
    ):
        found = who_spent(client, "user", dt.date(2026, 10, 26), dt.date(2026, 11, 25), None, command="spend")
    assert found.truncated
    assert [(s.name, s.usage) for s in found.spends] == [("a", 5.0), ("b", 2.5), (NOT_LISTED, 1.75)]
    assert not found.requests_known


class WithoutAnalytics:
    """A client generated from a document without the analytics API (its operations unavailable)."""

    def analytics_meta(self) -> AnalyticsMeta:
        raise OperationUnavailable("GET", "/analytics/meta")


def test_without_the_analytics_api_in_the_document() -> None:
    """The document in use lacks the analytics API: Unavailable (exit 3), saying so."""
    with pytest.raises(Unavailable) as caught:
        who_spent(WithoutAnalytics(), "user", dt.date(2026, 10, 26), dt.date(2026, 11, 25), None, command="spend")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "spend --by user needs the analytics API's end user (what requests send in their user field) dimension, "
        "and the API document in use has no GET /analytics/meta: OpenRouter cannot tell spend per end-user here."
    )
