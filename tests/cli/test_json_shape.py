"""The JSON view has one shape, always: the same fields whether every call succeeded, some failed or
all did, with ``error`` ({kind, message}, naming the key's source as stderr does) or null; --config a
list of those objects with their name; --watch --json a line per poll, failed or not. In process."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest
from commanding import KEY, in_process

from openrouter_credits import CreditsClient
from openrouter_credits.cli._main import main
from openrouter_credits.cli.view import watch
from openrouter_credits.testing import MockServer

UNKNOWN_KEY = "sk-or-v1-shape-SECRET-nobody-0000"


def view(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str, key: str = KEY
) -> tuple[int, Any, str]:
    code, out, err = in_process(
        mock, capsys, monkeypatch, "--max-retries", "0", "--json", *args, key=key, now=None, secrets=(KEY, UNKNOWN_KEY)
    )
    return code, json.loads(out), err


def shape(mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fields of a JSON view whose calls all succeeded, in order."""
    code, document, _ = view(mock, capsys, monkeypatch)
    assert (code, document["error"]) == (0, None)
    return list(document)


def test_every_call_failing_gives_the_same_fields_null_and_the_error(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """All three calls failing (502): the object of a good answer, every field null with its reason,
    and the error that set the exit status (4); stderr says the same error."""
    fields = shape(mock, capsys, monkeypatch)
    for endpoint in ("credits", "key", "activity"):
        mock.app.fail_next(1, status=502, endpoint=endpoint)
    code, document, err = view(mock, capsys, monkeypatch)
    assert code == 4
    assert list(document) == fields
    error = document.pop("error")
    unknown = document.pop("unknown")
    assert document == dict.fromkeys(document)
    assert set(unknown) == set(document)
    assert error["kind"] == "server"
    assert err == f"error: {error['message']}\n"
    assert error["message"].startswith("OpenRouter failed to answer (HTTP 502")


def test_an_unknown_key_names_the_variable(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 401: kind auth, the message naming the command's own settings, as stderr does; exit 3."""
    code, document, err = view(mock, capsys, monkeypatch, key=UNKNOWN_KEY)
    assert code == 3
    assert document["error"]["kind"] == "auth"
    assert "Check that OPENROUTER_API_KEY or --api-key-file holds a current key" in document["error"]["message"]
    assert err == f"error: {document['error']['message']}\n"


def test_one_call_failing_is_the_error_of_a_view_with_figures(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """/activity failing: the figures of the others, the spend unknown, and error says what failed
    (the exit status 4 says it too)."""
    mock.app.fail_next(1, status=503, endpoint="activity")
    code, document, _ = view(mock, capsys, monkeypatch)
    assert code == 4
    assert (document["remaining"], document["spend_per_day"]) == (17.5, None)
    assert document["error"]["kind"] == "server"
    assert document["error"]["message"].startswith("OpenRouter failed to answer (HTTP 503")


def test_config_entries_are_the_same_objects_with_their_name(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--config --json: [{name, the view's fields}], a key OpenRouter refuses (its key file) with the
    error naming that file and [keys.broken], as stderr does; never OPENROUTER_API_KEY."""
    fields = shape(mock, capsys, monkeypatch)
    key_file = tmp_path / "broken.key"
    key_file.write_text(UNKNOWN_KEY)
    key_file.chmod(0o600)
    page = tmp_path / "page.toml"
    page.write_text(f'[keys.good]\napi_key_env = "SHAPE_KEY"\n\n[keys.broken]\napi_key_file = "{key_file}"\n')
    monkeypatch.setenv("SHAPE_KEY", KEY)
    code, documents, err = view(mock, capsys, monkeypatch, "--config", str(page))
    assert code == 3
    good, broken = documents
    assert list(good) == list(broken) == ["name", *fields]
    assert (good["name"], good["error"], broken["name"]) == ("good", None, "broken")
    source = f"the key file {key_file} named by [keys.broken] in page.toml"
    assert (sorted(broken["error"]), broken["error"]["kind"]) == (["kind", "message"], "auth")
    assert re.fullmatch(
        r"OpenRouter did not accept the API key \(HTTP 401: User not found\)\. Check that "
        + re.escape(source)
        + r" holds a current key\. \(request id mock-\d+\)",
        broken["error"]["message"],
    )
    assert err == f"error: broken: {broken['error']['message']}\n"


def test_watch_prints_a_line_for_a_failed_poll(mock: MockServer, capsys: pytest.CaptureFixture[str]) -> None:
    """--watch --json: a failed poll's line is the same object, with its time, change null and the error."""
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt
        for endpoint in ("credits", "key", "activity"):
            mock.app.fail_next(1, status=503, endpoint=endpoint)

    args = argparse.Namespace(watch=5.0, format="json", below=None)
    with CreditsClient(KEY, base_url=mock.base_url, max_retries=0) as client:
        assert watch(client, args, sleep=sleep) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert list(first) == list(second)
    assert (first["remaining"], first["error"]) == (17.5, None)
    assert (second["remaining"], second["change"], second["error"]["kind"]) == (None, None, "server")


@pytest.mark.parametrize(("from_env", "named"), [(False, "--base-url"), (True, "OPENROUTER_BASE_URL")])
def test_unknown_reasons_name_the_commands_settings(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, from_env: bool, named: str
) -> None:
    """A failed call's words in ``unknown`` name the setting as the command knows it (the option, or the
    variable the base URL came from), as stderr does: never the library's ``base_url``."""
    mock.app.inject("not-json", endpoint="credits")
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    argv = ["--max-retries", "0", "--json"]
    if from_env:
        monkeypatch.setenv("OPENROUTER_BASE_URL", mock.base_url)
    else:
        argv += ["--base-url", mock.base_url]
    code = main(argv)
    out, err = capsys.readouterr()
    document = json.loads(out)
    reason = document["unknown"]["remaining"]
    assert reason.startswith("the account's balance could not be read: OpenRouter sent HTTP 200")
    assert f"Check {named}, or try again later" in reason
    assert "base_url" not in out
    assert f"Check {named}, or try again later" in err
    assert code == 5
