"""make update-spec against a local HTTP server: a newer document is taken and its changes to the
selected operations are named; a document without GET /credits and a server error are refused."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from helpers import ROOT, on_loopback

UPSTREAM = ROOT / "tests" / "data" / "upstream"


class Documents(http.server.BaseHTTPRequestHandler):
    """Serves ``pages[path]`` as (status, body); anything else is a 404."""

    pages: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def do_GET(self) -> None:
        status, body = self.pages.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """A document server on 127.0.0.1 for the test; its base URL."""
    with on_loopback(Documents) as base:
        yield base


def project(tmp_path: Path, spec: Path) -> Path:
    """A project copy whose openapi.yaml is ``spec``."""
    shutil.copytree(ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "generator-config.yaml", tmp_path)
    shutil.copy(spec, tmp_path / "openapi.yaml")
    return tmp_path


def update(root: Path, source: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(root / "tools" / "update_spec.py"), source]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def test_newer_document_is_written_as_published(tmp_path: Path, server: str) -> None:
    """The document is written byte for byte, and what changed in the selected operations is listed."""
    newer = (UPSTREAM / "openrouter-api-2026-04-10.yaml").read_bytes()
    Documents.pages = {"/openapi.yaml": (200, newer)}
    root = project(tmp_path, UPSTREAM / "openrouter-api-2025-10-22.yaml")
    result = update(root, f"{server}/openapi.yaml")
    assert result.returncode == 0, result.stderr
    assert (root / "openapi.yaml").read_bytes() == newer
    lines = result.stdout.splitlines()
    assert lines[0] == f"update-spec: wrote openapi.yaml ({len(newer):,} bytes) from {server}/openapi.yaml."
    assert lines[1].startswith("update-spec: the selected operations changed in ")
    assert lines[2] == "  $.paths['/activity'].get.description: changed"
    assert "  $.paths['/credits'].get.responses['4XX']: removed" in lines
    assert "  $.paths['/credits'].get.responses['401']: added" in lines
    assert "  $.paths['/activity'].get.parameters: changed" in lines
    assert lines[-1] == "Next: `make generate`, then read `git diff generated/`."
    again = update(root, f"{server}/openapi.yaml")
    assert (
        again.stdout == f"update-spec: openapi.yaml already is the document at {server}/openapi.yaml; nothing to do.\n"
    )


def test_change_outside_the_selected_operations_is_said_not_to_matter(tmp_path: Path, server: str) -> None:
    doc = yaml.load((UPSTREAM / "openrouter-api-2025-10-22.yaml").read_bytes(), Loader=yaml.CSafeLoader)
    doc["paths"]["/somewhere/else"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    Documents.pages = {"/openapi.json": (200, json.dumps(doc).encode())}
    root = project(tmp_path, UPSTREAM / "openrouter-api-2025-10-22.yaml")
    result = update(root, f"{server}/openapi.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "update-spec: the selected operations and what they use did not change; `make generate` will not either."
    )


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (
            (200, b"openapi: 3.1.0\npaths:\n  /models:\n    get: {responses: {}}\n"),
            "GET /credits is not in the document",
        ),
        ((500, b"oops"), "answered HTTP 500 (Internal Server Error)"),
        ((200, b"<html>\n  <body>: [\n"), "is not YAML or JSON"),
        ((200, b"just text"), "is not an OpenAPI document (it has no paths)"),
    ],
    ids=["no-credits", "server-error", "not-yaml", "not-openapi"],
)
def test_refused_document_leaves_openapi_yaml_unchanged(
    tmp_path: Path, server: str, page: tuple[int, bytes], reason: str
) -> None:
    """A refused document: a sentence saying why, exit 1, no traceback, openapi.yaml as it was."""
    Documents.pages = {"/openapi.yaml": page}
    root = project(tmp_path, UPSTREAM / "get-credits-reference-page.yaml")
    before = (root / "openapi.yaml").read_bytes()
    result = update(root, f"{server}/openapi.yaml")
    assert result.returncode == 1
    assert reason in result.stderr
    assert result.stderr.endswith("openapi.yaml is unchanged.\n")
    assert not re.search(r"[.?!]\.", result.stderr)  # one mark at the end of each sentence
    assert "Traceback" not in result.stderr
    assert (root / "openapi.yaml").read_bytes() == before


def test_local_path_and_unreachable_server(tmp_path: Path) -> None:
    """SPEC_URL may be a local path; a server that is not there is refused with the reason."""
    root = project(tmp_path, UPSTREAM / "get-credits-reference-page.yaml")
    result = update(root, str(UPSTREAM / "openrouter-api-2025-10-22.yaml"))
    assert result.returncode == 0, result.stderr
    assert (root / "openapi.yaml").read_bytes() == (UPSTREAM / "openrouter-api-2025-10-22.yaml").read_bytes()
    newer = UPSTREAM / "openrouter-api-2026-04-10.yaml"
    by_url = update(root, newer.as_uri())  # make update-spec SPEC_URL=file:///...
    assert by_url.returncode == 0, by_url.stderr
    assert (root / "openapi.yaml").read_bytes() == newer.read_bytes()
    elsewhere = update(root, "file://build-host/tmp/openapi.yaml")
    assert (elsewhere.returncode, elsewhere.stderr) == (
        1,
        "update-spec: file://build-host/tmp/openapi.yaml names a file on another host (build-host): give a local "
        "path. openapi.yaml is unchanged.\n",
    )
    refused = update(root, "http://127.0.0.1:9/openapi.yaml")
    assert refused.returncode == 1
    assert refused.stderr.startswith("update-spec: could not fetch http://127.0.0.1:9/openapi.yaml: ")
