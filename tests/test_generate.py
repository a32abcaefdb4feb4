"""Regeneration in a temporary copy of the project: spec changes flow through, nothing stale stays."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "openrouter_credits_client"
ENDPOINT = Path("api/credits_/get_credits.py")


def published() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi.yaml").read_text())  # type: ignore[no-any-return]


def regenerate(tmp_path: Path, doc: dict[str, Any] | str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Copy the project's generator inputs to tmp_path, write ``doc`` as openapi.yaml, run make's step."""
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    shutil.copy(ROOT / "generator-config.yaml", tmp_path)
    shutil.copytree(ROOT / "generated", tmp_path / "generated")
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    (tmp_path / "openapi.yaml").write_text(text)
    result = subprocess.run(
        [sys.executable, str(tmp_path / "tools" / "generate.py")], capture_output=True, text=True, check=False
    )
    return result, tmp_path / "generated" / PACKAGE


def signatures(module: Path) -> dict[str, str]:
    """The parameters of each public function of a generated endpoint module, as source text."""
    tree = ast.parse(module.read_text())
    return {
        node.name: ast.unparse(node.args)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    }


def test_committed_package_has_the_expected_shape() -> None:
    """generated/ holds the importable package with py.typed and the canonical endpoint path."""
    package = ROOT / "generated" / PACKAGE
    assert (package / "py.typed").is_file()
    assert signatures(package / ENDPOINT) == {
        "sync_detailed": "*, client: AuthenticatedClient",
        "sync": "*, client: AuthenticatedClient",
        "asyncio_detailed": "*, client: AuthenticatedClient",
        "asyncio": "*, client: AuthenticatedClient",
    }


def test_added_optional_property_appears(tmp_path: Path) -> None:
    """An optional property added to the data schema becomes an attribute of the generated model."""
    doc = published()
    data = doc["components"]["schemas"]["CreditsGetResponsesContentApplicationJsonSchemaData"]
    data["properties"]["limit_remaining"] = {"type": "number", "format": "double"}
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    model = (package / "models" / "get_credits_response_200_data.py").read_text()
    assert re.search(r"^    limit_remaining: float \| Unset = UNSET$", model, re.M)


def test_removed_response_leaves_nothing(tmp_path: Path) -> None:
    """Removing the 500 response removes every trace of it from the endpoint module."""
    doc = published()
    del doc["paths"]["/credits"]["get"]["responses"]["500"]
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    assert "500" not in (package / ENDPOINT).read_text()
    assert "response_403" in (package / ENDPOINT).read_text()


def test_removed_operation_leaves_no_module(tmp_path: Path) -> None:
    """A file that the spec no longer produces is removed by regeneration."""
    doc = published()
    doc["paths"]["/keys"] = {"get": {**doc["paths"].pop("/credits")["get"], "operationId": "list-keys"}}
    doc["paths"]["/keys"]["get"]["tags"] = [["subpackage_keys"]]
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    assert not (package / "api" / "credits_").exists()
    assert (package / "api" / "keys" / "list_keys.py").is_file()
    assert sorted(p.name for p in (package / "models").iterdir()) == [
        "__init__.py",
        "list_keys_response_200.py",
        "list_keys_response_200_data.py",
    ]


def test_document_level_bearer_keeps_the_signature(tmp_path: Path) -> None:
    """Auth declared as a document-level bearer scheme generates the same endpoint signatures."""
    doc = published()
    del doc["paths"]["/credits"]["get"]["parameters"]
    doc["components"]["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "bearer"}}
    doc["security"] = [{"apiKey": []}]
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    assert "copied the document-level security" in result.stdout
    assert signatures(package / ENDPOINT) == signatures(ROOT / "generated" / PACKAGE / ENDPOINT)


def test_newer_upstream_variant_keeps_the_public_api(tmp_path: Path) -> None:
    """Tag 'Credits', servers, error schemas, 3.1 type arrays and inline schemas: same module and names."""
    doc = published()
    operation = doc["paths"]["/credits"]["get"]
    del operation["parameters"]
    operation["tags"] = ["Credits"]
    doc["servers"] = [{"url": "https://openrouter.ai/api/v1"}]
    doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    doc["security"] = [{"bearer": []}]
    schemas = doc["components"].pop("schemas")
    inline = schemas["Credits_getCredits_Response_200"]
    inline["properties"]["data"] = schemas["CreditsGetResponsesContentApplicationJsonSchemaData"]
    operation["responses"]["200"]["content"]["application/json"]["schema"] = inline
    error = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"code": {"type": "integer"}, "message": {"type": ["string", "null"]}},
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    }
    doc["components"]["schemas"] = {"ErrorResponse": error}
    for status in ("401", "403", "500"):
        operation["responses"][status]["content"] = {
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
        }
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stdout + result.stderr
    assert signatures(package / ENDPOINT) == signatures(ROOT / "generated" / PACKAGE / ENDPOINT)
    models = (package / "models" / "__init__.py").read_text()
    for name in ("GetCreditsResponse200", "GetCreditsResponse200Data", "ErrorResponse"):
        assert f'"{name}"' in models


def test_broken_document_fails_cleanly(tmp_path: Path) -> None:
    """A document broken beyond repair: path and problem on stderr, exit 1, no traceback, nothing written."""
    doc = published()
    doc["paths"]["/credits"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Nowhere"
    }
    before = sorted(p.relative_to(ROOT / "generated") for p in (ROOT / "generated").rglob("*.py"))
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 1
    assert "$.components.schemas.Nowhere: referenced as '#/components/schemas/Nowhere' but not defined" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert sorted(p.relative_to(package.parent) for p in package.parent.rglob("*.py")) == before


@pytest.mark.parametrize("text", ["openapi: [\n", "just a string\n"])
def test_unreadable_document_fails_cleanly(tmp_path: Path, text: str) -> None:
    """Text that is not a YAML mapping fails with one clear line and exit 1."""
    result, _ = regenerate(tmp_path, text)
    assert result.returncode == 1
    assert "cannot be used to generate the client" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_reports_drift(tmp_path: Path) -> None:
    """--check fails with a readable summary when generated/ differs from what the spec produces."""
    result, package = regenerate(tmp_path, published())
    assert result.returncode == 0
    endpoint = package / ENDPOINT
    endpoint.write_text(endpoint.read_text().replace('"url": "/credits"', '"url": "/credit"'))
    (package / "models" / "extra.py").write_text("")
    (package / "types.py").unlink()
    check = subprocess.run(
        [sys.executable, str(tmp_path / "tools" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1
    assert "  missing from generated/: types.py" in check.stdout
    assert "  stale in generated/ (the spec no longer produces it): models/extra.py" in check.stdout
    assert "  differs: api/credits_/get_credits.py" in check.stdout
    assert '-        "url": "/credit",' in check.stdout
    assert '+        "url": "/credits",' in check.stdout
    assert "Run `make generate`" in check.stdout


def test_openapi_yaml_is_upstream_byte_for_byte() -> None:
    """openapi.yaml is the YAML block of the upstream reference page, unchanged."""
    page = ROOT.parent / "shared" / "upstream" / "get-credits.md"
    if not page.is_file():
        pytest.skip("the upstream reference page is not beside this checkout")
    match = re.search(r"```yaml\n(.*?)```", page.read_text(), re.S)
    assert match is not None
    assert (ROOT / "openapi.yaml").read_text() == match.group(1)
