"""Regeneration in a temporary folder: upstream's documents generate, spec changes flow through to the
generated package and the wrapper, nothing stale stays, the template overrides hold.

tools/generate.py runs in this process (as `make generate` runs it, less make's and a new
interpreter's start); `make generate` itself runs in a copy of the project for the reference page
and for the template drift check."""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "openrouter_credits_client"
ENDPOINT = Path("api/credits_/get_credits.py")
UPSTREAM = ROOT / "tests" / "data" / "upstream"
REFERENCE_PAGE = UPSTREAM / "get-credits-reference-page.yaml"
import generate  # noqa: E402


def reference() -> dict[str, Any]:
    """The reference page's single-endpoint document: small, so quick to change and regenerate."""
    return yaml.safe_load(REFERENCE_PAGE.read_text())  # type: ignore[no-any-return]


@functools.cache
def _parsed(source: Path) -> str:
    return json.dumps(yaml.load(source.read_bytes(), Loader=yaml.CSafeLoader), default=str)


def document(source: Path) -> dict[str, Any]:
    """The YAML document at ``source``, parsed once per process (a large one takes half a second): a
    copy of its own for each caller to change."""
    return json.loads(_parsed(source))  # type: ignore[no-any-return]


def project_copy(tmp_path: Path) -> Path:
    """What `make generate` reads and writes, copied (with mtimes, so make sees .venv as current)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("tools", "templates", "generated"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "generator-config.yaml", "requirements-dev.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, project / name)
    return project


def make(project: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    """``make TARGET`` in the copy, with this checkout's tools (.venv)."""
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), *targets, f"VENV={ROOT / '.venv'}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def generate_py(*argv: str) -> subprocess.CompletedProcess[str]:
    """tools/generate.py with ``argv``, run in this process as `make generate` runs it (without make's
    and a new interpreter's start): its exit status and what it printed."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = generate.main(list(argv))
        except SystemExit as stop:
            if not isinstance(stop.code, int):
                print(stop.code, file=sys.stderr)
            code = stop.code if isinstance(stop.code, int) else 1
    return subprocess.CompletedProcess(["tools/generate.py", *argv], code, stdout.getvalue(), stderr.getvalue())


#: What generating gave: tools/generate.py's exit status and output, and where the package is.
Generation = tuple[subprocess.CompletedProcess[str], Path]


def regenerate(tmp_path: Path, doc: dict[str, Any] | str | bytes) -> Generation:
    """Generate from ``doc`` (written to a file, as openapi.yaml is) into ``tmp_path``/generated."""
    spec = tmp_path / "openapi.yaml"
    if isinstance(doc, dict):
        doc = json.dumps(doc)  # JSON is YAML, and much quicker to write
    spec.write_bytes(doc.encode() if isinstance(doc, str) else doc)
    out = tmp_path / "generated"
    return generate_py("--spec", str(spec), "--out", str(out), "--build", str(tmp_path / "build")), out / PACKAGE


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Path], Generation]:
    """``generated(source)``: the document at ``source`` generated once for the module's tests that
    read it (a test that changes the package works on a copy). The reference page's goes the README's
    way: put in openapi.yaml of a project copy, then `make generate`."""
    made: dict[Path, Generation] = {}

    def generate_once(source: Path) -> Generation:
        if source not in made:
            tmp_path = tmp_path_factory.mktemp("generated")
            if source == REFERENCE_PAGE:
                project = project_copy(tmp_path)
                shutil.copy(source, project / "openapi.yaml")
                made[source] = make(project, "generate"), project / "generated" / PACKAGE
            else:
                made[source] = regenerate(tmp_path, source.read_bytes())
        return made[source]

    return generate_once


#: The tests that read one document's generated package run on one xdist worker, which generates it once.
ON_REFERENCE_PAGE = pytest.mark.xdist_group("codegen-reference-page")
ON_2026_04_10 = pytest.mark.xdist_group("codegen-2026-04-10")


def signatures(module: Path) -> dict[str, str]:
    """The parameters of each public function of a generated endpoint module, as source text."""
    tree = ast.parse(module.read_text())
    return {
        node.name: ast.unparse(node.args)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    }


def fields(model: Path) -> dict[str, str]:
    """``{field: annotation}`` of the attrs class in a generated model module."""
    tree = ast.parse(model.read_text())
    (cls,) = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    return {
        node.target.id: ast.unparse(node.annotation)
        for node in cls.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
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


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(REFERENCE_PAGE, marks=ON_REFERENCE_PAGE),
        UPSTREAM / "openrouter-api-2025-10-22.yaml",
        pytest.param(UPSTREAM / "openrouter-api-2026-04-10.yaml", marks=ON_2026_04_10),
        ROOT / "openapi.yaml",
    ],
    ids=["reference-page", "2025-10-22", "2026-04-10", "published-2026-08-22"],
)
def test_upstream_document_generates(source: Path, generated: Callable[[Path], Generation]) -> None:
    """Each upstream document, put in openapi.yaml by hand: `make generate` exits 0, the credits endpoint
    keeps its import path, functions, model and fields, and the optional operations come where they exist."""
    result, package = generated(source)
    assert result.returncode == 0, result.stdout + result.stderr
    committed = ROOT / "generated" / PACKAGE
    assert signatures(package / ENDPOINT) == signatures(committed / ENDPOINT)
    model = package / "models" / "get_credits_response_200_data.py"
    assert fields(model) == {
        "total_credits": "float",
        "total_usage": "float",
        "additional_properties": "dict[str, Any]",
    }
    assert fields(package / "models" / "get_credits_response_200.py")["data"] == "GetCreditsResponse200Data"
    doc = document(source)
    for method, path, module in (
        ("GET", "/key", "api/api_keys/get_current_key.py"),
        ("GET", "/activity", "api/analytics/get_user_activity.py"),
        ("GET", "/keys", "api/api_keys/list_api_keys.py"),
        ("GET", "/workspaces", "api/workspaces/list_workspaces.py"),
        ("POST", "/analytics/query", "api/analytics/query_analytics.py"),
        ("GET", "/analytics/meta", "api/analytics/get_analytics_meta.py"),
    ):
        assert (package / module).is_file() == (path in doc["paths"]), module
        if path not in doc["paths"]:
            assert f"{method} {path} is not in the document; not generated" in result.stdout


def test_added_optional_property_reaches_the_client(tmp_path: Path) -> None:
    """A property added to the credits schema is a typed attribute of client.get_credits() after
    `make generate`, with no edit to the wrapper, and mypy --strict sees its type."""
    doc = reference()
    data = doc["components"]["schemas"]["CreditsGetResponsesContentApplicationJsonSchemaData"]
    data["properties"]["limit_remaining"] = {"type": ["number", "null"], "format": "double"}
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    script = tmp_path / "user.py"
    script.write_text(
        "import httpx\n"
        "from openrouter_credits import CreditsClient\n"
        "from openrouter_credits_client.types import Unset\n\n"
        "body = {'data': {'total_credits': 25.0, 'total_usage': 7.5, 'limit_remaining': 4.25}}\n"
        "transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))\n"
        "with httpx.Client(transport=transport) as http, CreditsClient('k-123456', http_client=http) as client:\n"
        "    credits = client.get_credits()\n"
        "limit: float | None | Unset = credits.limit_remaining\n"
        "print(limit, dict(credits.extra))\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{package.parent}{os.pathsep}{ROOT / 'wrapper'}"}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=False)
    assert (run.returncode, run.stdout, run.stderr) == (0, "4.25 {}\n", "")
    mypy_env = {**env, "MYPYPATH": env["PYTHONPATH"]}
    # A cache of its own: the second run checks the changed script against what the first one read.
    cache = ["--cache-dir", str(tmp_path / "mypy-cache")]
    mypy = [str(Path(sys.executable).parent / "mypy"), "--strict", *cache, str(script)]
    checked = subprocess.run(mypy, capture_output=True, text=True, env=mypy_env, cwd=tmp_path, check=False)
    assert checked.returncode == 0, checked.stdout
    script.write_text(script.read_text().replace("limit: float | None | Unset", "limit: str"))
    checked = subprocess.run(mypy, capture_output=True, text=True, env=mypy_env, cwd=tmp_path, check=False)
    assert 'Incompatible types in assignment (expression has type "float | Unset | None"' in checked.stdout


#: A budget layer of GET /key as the official SDK 1.3.84 reads it (sdk-1.3.84-shapes.json), in OpenAPI 3.1.
KEY_BUDGET = {
    "type": "object",
    "properties": {
        "scope": {
            "type": "string",
            "enum": [
                "workspace_default_member",
                "workspace_default_key",
                "member",
                "api_key",
                "workspace",
                "key_limit",
            ],
        },
        "limit_usd": {"type": "number"},
        "remaining_usd": {"type": "number"},
        "spend_usd": {"type": "number"},
        "reset_interval": {"anyOf": [{"type": "string", "enum": ["daily", "weekly", "monthly"]}, {"type": "null"}]},
        "resets_at": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        "include_byok": {"type": "boolean"},
        "budget_id": {"type": ["string", "null"]},
        "guardrail_id": {"type": ["string", "null"]},
    },
    "required": [
        "budget_id",
        "guardrail_id",
        "include_byok",
        "limit_usd",
        "remaining_usd",
        "reset_interval",
        "resets_at",
        "scope",
        "spend_usd",
    ],
}

#: In the regenerated copy: the budgets are typed attributes, and every output takes spendable from them.
BUDGET_SCRIPT = """\
import sys
from openrouter_credits import CreditsClient
from openrouter_credits_client.models.key_budget import KeyBudget

with CreditsClient(sys.argv[1], base_url=sys.argv[2]) as client:
    balance = client.get_balance()
    client_key = client.get_key()
key = balance.key
assert isinstance(key.budgets[0], KeyBudget), key.budgets
assert "budgets" not in key.extra and "effective_budget" not in key.extra, dict(key.extra)
assert hash(key) == hash(client_key) and key == client_key  # a list field does not make it unhashable
print(balance.spendable, balance.budget.scope, [layer.scope for layer in key.budget_layers])
"""


#: Appended to a script run in a regenerated copy: after the script's own lines, each command of the
#: list in the last argument in-process (``main(argv)``), its status, output and errors as JSON.
COMMANDS_AFTER = """
import contextlib as _contextlib, io as _io, json as _json, sys as _sys
from openrouter_credits.cli import main as _command

_results = []
for _argv in _json.loads(_sys.argv[-1]):
    _out, _err = _io.StringIO(), _io.StringIO()
    with _contextlib.redirect_stdout(_out), _contextlib.redirect_stderr(_err):
        _code = _command(_argv)
    _results.append([_code, _out.getvalue(), _err.getvalue()])
print(_json.dumps(_results))
"""


def python_with(package: Path, key: str, *argv: str) -> str:
    """``python *argv`` in an interpreter that imports the regenerated ``package`` (and this
    checkout's wrapper), with ``key`` in OPENROUTER_API_KEY: what it prints (it exits 0, quietly)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL")}
    env |= {"PYTHONPATH": f"{package.parent}{os.pathsep}{ROOT / 'wrapper'}", "OPENROUTER_API_KEY": key}
    ran = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env, check=False, timeout=120)
    assert (ran.returncode, ran.stderr) == (0, ""), ran.stderr
    return ran.stdout


def run_in_copy(
    tmp_path: Path, package: Path, script: str, key: str, base_url: str, commands: list[list[str]]
) -> tuple[list[str], list[tuple[int, str, str]]]:
    """In one interpreter that imports the regenerated ``package`` (and this checkout's wrapper), with
    ``key`` in OPENROUTER_API_KEY: ``script`` (a user's script in ``tmp_path``, given the key and
    ``base_url``), then each of ``commands`` against ``base_url``. The script's lines, and each
    command's (status, output, errors)."""
    path = tmp_path / "user.py"
    path.write_text(script + COMMANDS_AFTER)
    argvs = json.dumps([[*argv, "--base-url", base_url] for argv in commands])
    *lines, results = python_with(package, key, str(path), key, base_url, argvs).splitlines()
    return lines, [(code, out, err) for code, out, err in json.loads(results)]


def test_budgets_declared_by_the_document_reach_every_output(tmp_path: Path) -> None:
    """Our document with ``budgets`` and ``effective_budget`` added to the /key schema: after `make
    generate` they are typed attributes of the generated model, and a guardrail below the key's own
    limit and the account gives spendable = the guardrail's remaining in the library, the table,
    --json and --format prometheus (the same wrapper, reading the typed attributes)."""
    from openrouter_credits.testing import MockOpenRouter, MockServer

    doc = json.loads(selected_document())  # our document's operations, as `make generate` selects them first
    data = doc["paths"]["/key"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    data = data["data"]
    doc["components"]["schemas"]["KeyBudget"] = KEY_BUDGET
    data["properties"]["budgets"] = {"type": "array", "items": {"$ref": "#/components/schemas/KeyBudget"}}
    data["properties"]["effective_budget"] = {"anyOf": [{"$ref": "#/components/schemas/KeyBudget"}, {"type": "null"}]}
    data["required"] += ["budgets", "effective_budget"]
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stdout + result.stderr
    model = fields(package / "models" / "get_current_key_response_200_data.py")
    assert model["budgets"] == "list[KeyBudget]"
    assert model["effective_budget"] == "KeyBudget | None"
    key = "sk-or-v1-codegen-SECRET-budgets-93ab"
    with MockServer(MockOpenRouter(provisioning_keys={key: (25.0, 7.5)}, inference_keys=[])) as server:
        server.app.set_key(key, limit=10.0, usage=0.0)
        server.app.set_budgets(key, guardrail={"limit": 5.0, "spend": 2.0, "reset_interval": "daily"}, workspace=50.0)
        commands = [[], ["--json"], ["--format", "prometheus"]]
        shown, ran = run_in_copy(tmp_path, package, BUDGET_SCRIPT, key, server.base_url, commands)
    assert shown == ["3.0 api_key ['api_key', 'workspace', 'key_limit']"]
    assert [(code, err) for code, _, err in ran] == [(0, "")] * 3
    table = ran[0][1].splitlines()
    assert table[1] == "Spendable       $3.00  (capped by the key's api_key budget)"
    assert table[9].startswith("Key budget      $5.00  (api_key budget, $3.00 left; resets daily, in ")
    view = json.loads(ran[1][1])
    assert (view["spendable"], view["capped_by_budget"]) == (3.0, "api_key")
    assert [layer["scope"] for layer in view["key"]["budgets"]] == ["api_key", "workspace", "key_limit"]
    assert view["key"]["effective_budget"]["remaining_usd"] == 3.0
    metrics = ran[2][1]
    assert "\nopenrouter_credits_spendable_dollars 3\n" in metrics
    assert '\nopenrouter_credits_key_budget_remaining_dollars{scope="api_key"} 3\n' in metrics


#: The newer shapes of our operations, as the official SDK 1.3.84 reads them (pydantic's JSON Schema).
SDK_SHAPES = UPSTREAM / "sdk-1.3.84-shapes.json"
#: Each operation's shape in SDK_SHAPES, and where its answer's object is in the document.
SHAPES = {"/key": "GET /key: data", "/keys": "GET /keys: data[] (ListData)", "/activity": "GET /activity: data[]"}
#: The fields the wrapper reads beyond today's document.
READ_BEYOND = {"/key": ("budgets", "effective_budget"), "/keys": ("last_used_at",)}


@functools.cache
def selected_document() -> str:
    """Today's document, with the operations the generator is given alone (tools/selection.py, as
    `make generate` selects them first): JSON, quick to copy and to write."""
    import selection

    doc = document(ROOT / "openapi.yaml")
    wanted = selection.operations_from_config(selection.load_config(ROOT / "generator-config.yaml"))
    return json.dumps(selection.select(doc, wanted, lambda message: None))


def answer_object(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """The schema of one item of ``data`` in the 200 answer of ``GET path`` (followed through $refs)."""

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    answer = resolved(doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
    data = resolved(answer["properties"]["data"])
    return resolved(data["items"]) if data.get("type") == "array" else data


def declaration(schema: Any, shape: dict[str, Any], components: dict[str, Any]) -> Any:
    """A JSON Schema of SDK_SHAPES as an OpenAPI 3.1 declaration: the objects its $defs name become
    components of the document, the other $defs (pydantic's Nullable_... unions) are written inline."""
    if isinstance(schema, list):
        return [declaration(item, shape, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        target = shape["$defs"][name]
        if target.get("type") != "object":
            return declaration(target, shape, components)
        if name not in components:
            components[name] = {}  # taken, before its own fields refer back to it
            components[name] = declaration(target, shape, components)
        return {"$ref": f"#/components/schemas/{name}"}
    return {k: declaration(v, shape, components) for k, v in schema.items() if k not in ("title", "default")}


def newer_document(variant: str) -> dict[str, Any]:
    """Today's document with the fields SDK_SHAPES has beyond it. ``optional``: all of them optional;
    ``required``: required as the SDK has them, and the ones the wrapper reads (READ_BEYOND) required
    and nullable."""
    doc = json.loads(selected_document())
    shapes = json.loads(SDK_SHAPES.read_text())
    for path, name in SHAPES.items():
        shape, target = shapes[name], answer_object(doc, path)
        for field in sorted(set(shape["properties"]) - set(target["properties"])):
            schema = declaration(shape["properties"][field], shape, doc["components"]["schemas"])
            if variant == "optional":
                target["properties"][field] = schema
                continue
            if field in READ_BEYOND.get(path, ()) and "anyOf" not in schema:
                schema = {"anyOf": [schema, {"type": "null"}]}
            target["properties"][field] = schema
            if field in shape["required"] or field in READ_BEYOND.get(path, ()):
                target["required"] = [*target.get("required", []), field]
    return doc


#: In the regenerated copy: each command in-process (``main(argv)``), and what the library shows.
COMMANDS_SCRIPT = """\
import contextlib, datetime as dt, io, json, sys
from openrouter_credits import CreditsClient
from openrouter_credits.cli import main

base_url, key, now = sys.argv[1], sys.argv[2], dt.datetime.fromisoformat(sys.argv[3])
outputs = []
for argv in json.loads(sys.argv[4]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*argv, "--base-url", base_url], clock=lambda: now)
    outputs.append([code, out.getvalue()])
with CreditsClient(key, base_url=base_url, clock=lambda: now) as client:
    shown = [repr(client.get_key()), repr(client.list_keys()), repr(client.get_activity().rows[:3])]
print(json.dumps({"outputs": outputs, "shown": shown}))
"""
COMMANDS = [
    [],  # the view
    ["--json"],
    ["--format", "prometheus"],
    ["keys"],
    ["keys", "--json"],
    ["spend", "--by", "model"],
]


def when(output: str) -> str:
    """``output`` with the time of the run (the wall clock's, not the one given) left out."""
    return re.sub(r"(last_success_timestamp_seconds) \S+", r"\1 <now>", output)


@pytest.mark.parametrize("variant", ["optional", "required"])
def test_a_newer_document_regenerates_cleanly(tmp_path: Path, variant: str) -> None:
    """Today's document with the fields of the official SDK's newer shapes (budgets, effective_budget
    and the other /key fields, last_used_at and external_user of /keys, cached_tokens of /activity),
    declared optional in one variant, required (and nullable where the wrapper reads them) in the
    other: `make generate` makes typed attributes of them, and the view, --json, --format prometheus,
    keys and spend --by model show against the mock what they show with today's package, figure for
    figure; no Unset shows in their output or in a result's repr."""
    from openrouter_credits.cli import main
    from openrouter_credits.testing import MockOpenRouter, MockServer

    result, package = regenerate(tmp_path, newer_document(variant))
    assert result.returncode == 0, result.stdout + result.stderr
    key_model = fields(package / "models" / "get_current_key_response_200_data.py")
    listed_model = fields(package / "models" / "list_api_keys_response_200_data_item.py")
    unset = " | Unset" if variant == "optional" else ""
    assert (key_model["budgets"], key_model["effective_budget"], listed_model["last_used_at"]) == (
        f"list[KeyBudget]{' | None' if variant == 'required' else ''}{unset}",
        f"KeyBudget | None{unset}",
        f"datetime.datetime | None{unset}",
    )
    key = "sk-or-v1-codegen-SECRET-newer-4c2e"
    now = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
    app = MockOpenRouter(provisioning_keys={key: (25.0, 7.5)}, inference_keys=[], clock=lambda: now)
    app.set_key(key, limit=10.0, usage=0.0)
    app.set_budgets(key, guardrail={"limit": 5.0, "spend": 2.0, "reset_interval": "daily"}, workspace=50.0)
    # As the SDK's document has them: last_used_at null for a key never used; left out in the optional
    # variant, whose generated model then holds Unset until the wrapper makes it None.
    never = {} if variant == "optional" else {"last_used_at": None}
    app.set_keys(
        [
            {"name": "busy", "limit": 20.0, "limit_reset": "daily", "usage_daily": 15.0, "usage_monthly": 40.0,
             "last_used_at": "2026-11-25T08:00:00Z", "external_user": None},
            {"name": "idle", "usage_monthly": 1.0, "last_used_at": "2026-09-01T00:00:00Z", "external_user": "u-1"},
            {"name": "new", "external_user": None, **never},
        ]
    )  # fmt: skip
    with MockServer(app) as server, pytest.MonkeyPatch.context() as patch:
        argv = ["-c", COMMANDS_SCRIPT, server.base_url, key, now.isoformat(), json.dumps(COMMANDS)]
        regenerated = json.loads(python_with(package, key, *argv))
        patch.setenv("OPENROUTER_API_KEY", key)
        today = []  # the same commands with today's package, in this process
        for argv in COMMANDS:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = main([*argv, "--base-url", server.base_url], clock=lambda: now)
            today.append([code, out.getvalue()])
    assert [code for code, _ in regenerated["outputs"]] == [0] * len(COMMANDS)
    assert [[code, when(out)] for code, out in regenerated["outputs"]] == [[code, when(out)] for code, out in today]
    view, listing = json.loads(today[1][1]), {k["name"]: k for k in json.loads(today[4][1])}
    assert (view["spendable"], view["capped_by_budget"]) == (3.0, "api_key")  # the guardrail's $3 left
    assert [listing[name]["last_used_at"] for name in ("busy", "idle", "new")] == [
        "2026-11-25T08:00:00Z",
        "2026-09-01T00:00:00Z",
        None,
    ]
    assert [listing[name]["status"] for name in ("busy", "idle", "new")] == ["will_exhaust", "dormant", "ok"]
    assert '\nopenrouter_credits_key_budget_remaining_dollars{scope="api_key"} 3\n' in today[2][1]
    for text in [*regenerated["shown"], *(out for _, out in regenerated["outputs"])]:
        assert "Unset" not in text


#: In a copy generated from the reference page's document (GET /credits alone): the library.
WITHOUT_KEY_SCRIPT = """\
import asyncio, sys
from openrouter_credits import AsyncCreditsClient, ConfigurationError, CreditsClient, OperationUnavailable

with CreditsClient(sys.argv[1], base_url=sys.argv[2]) as client:
    for call in (client.get_key, client.get_activity):
        try:
            call()
        except ConfigurationError as error:
            assert isinstance(error, OperationUnavailable)
            print(error)
    print(client.get_balance())


async def main():
    async with AsyncCreditsClient(sys.argv[1], base_url=sys.argv[2]) as client:
        print(await client.get_balance())


asyncio.run(main())
"""


@ON_REFERENCE_PAGE
def test_a_document_without_key_and_activity_gives_a_working_command(
    tmp_path: Path, generated: Callable[[Path], Generation]
) -> None:
    """Generated from the reference page's document (only GET /credits): the command exits 0, with
    the key's part and the spend unknown and the reason "the API document in use has no GET /key";
    get_key() and get_activity() raise a ConfigurationError saying so; never ModuleNotFoundError."""
    from openrouter_credits.testing import MockOpenRouter, MockServer

    result, package = generated(REFERENCE_PAGE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (package / "api" / "api_keys").exists()
    assert not (package / "api" / "analytics").exists()
    key = "sk-or-v1-codegen-SECRET-nokey-5e7f"
    no_key = "the API document in use has no GET /key"
    no_activity = "the API document in use has no GET /activity"
    with MockServer(MockOpenRouter(provisioning_keys={key: (25.0, 7.5)}, inference_keys=[])) as server:
        commands = [["--json"], [], ["--format", "prometheus"], ["spend"]]
        lines, ran = run_in_copy(tmp_path, package, WITHOUT_KEY_SCRIPT, key, server.base_url, commands)
    (code, out, err), *_ = ran
    assert (code, err) == (0, ""), err
    view = json.loads(out)
    assert (view["remaining"], view["spendable"], view["spendable_at_most"], view["key"]) == (
        17.5,
        None,
        17.5,
        None,
    )
    assert (view["spend_per_day"], view["days_left"], view["forecast"], view["daily_spend"]) == (None,) * 4
    assert view["unknown"] == {
        "key": no_key,
        "spendable": no_key,
        "daily_spend": no_activity,
        "forecast": no_activity,
        "spend_per_day": no_activity,
        "days_left": no_activity,
    }
    code, out, err = ran[1]
    assert (code, err) == (0, ""), err
    table = [" ".join(line.split()) for line in out.splitlines()]
    assert table[:2] == ["Remaining $17.50", "Spendable unknown (at most $17.50)"]
    assert "Key limit unknown" in table
    code, out, err = ran[2]
    assert (code, err) == (0, ""), err
    assert "\nopenrouter_credits_remaining_dollars 17.5\n" in out
    assert "spendable_dollars" not in out
    code, out, err = ran[3]
    assert code == 2
    assert err.startswith("error: The API document in use has no GET /activity: ")
    assert "Traceback" not in err
    assert lines[0].startswith("The API document in use has no GET /key: openrouter_credits_client was generated")
    assert lines[1].startswith("The API document in use has no GET /activity: ")
    assert lines[2] == lines[3]
    assert lines[2].startswith("Balance(remaining=17.5, spendable=None, spend_per_day=None, days_left=None, ")
    assert f"'key': '{no_key}'" in lines[2]


#: In a copy generated from a document with GET /keys but without GET /workspaces and the analytics
#: operations (2026-04-10): the library, sync and async.
WITHOUT_WORKSPACES_SCRIPT = """\
import asyncio, datetime as dt, sys
from openrouter_credits import AsyncCreditsClient, CreditsClient, OperationUnavailable

with CreditsClient(sys.argv[1], base_url=sys.argv[2]) as client:
    keys = client.list_keys()
    print(len(keys), keys.complete, keys.workspaces_note)
    for call in (client.analytics_meta, client.list_workspaces):
        try:
            call()
        except OperationUnavailable as error:
            print(error.reason)
    try:
        client.query_analytics(metrics=["total_usage"], start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 2))
    except OperationUnavailable as error:
        print(error.reason)


async def main():
    async with AsyncCreditsClient(sys.argv[1], base_url=sys.argv[2]) as client:
        keys = await client.list_keys()
        print(len(keys), keys.complete, keys.workspaces_note)


asyncio.run(main())
"""


@ON_2026_04_10
def test_a_document_without_workspaces_lists_the_default_workspace_and_says_so(
    tmp_path: Path, generated: Callable[[Path], Generation]
) -> None:
    """Generated from a document without GET /workspaces and the analytics operations (2026-04-10):
    list_keys() gives the default workspace's keys and says why it is only those; the analytics calls
    raise OperationUnavailable; `keys` prints the note; nowhere a ModuleNotFoundError."""
    from openrouter_credits.testing import MockOpenRouter, MockServer

    result, package = generated(UPSTREAM / "openrouter-api-2026-04-10.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (package / "api" / "workspaces").exists()
    assert not (package / "api" / "analytics" / "query_analytics.py").exists()
    key = "sk-or-v1-codegen-SECRET-noworkspaces-6f8a"
    # The 2026-04-10 document gives a listed key a limit (a number, not null).
    app = MockOpenRouter(provisioning_keys={key: (25.0, 7.5)}, inference_keys={"sk-or-v1-codegen-ordinary-1234": 10.0})
    app.add_workspace("Research", keys=3)
    reason = "the API document in use has no GET /workspaces"
    with MockServer(app) as server:
        lines, ran = run_in_copy(tmp_path, package, WITHOUT_WORKSPACES_SCRIPT, key, server.base_url, [["keys"]])
    assert lines == [
        f"1 False {reason}",
        "the API document in use has no GET /analytics/meta",
        reason,
        "the API document in use has no POST /analytics/query",
        f"1 False {reason}",
    ]
    ((code, out, err),) = ran
    assert (code, err) == (0, ""), err
    assert out.splitlines()[-2:] == [
        "1 key",
        f"note: only the default workspace's keys are listed: {reason}. Other workspaces' keys are not counted.",
    ]


def test_removed_response_leaves_nothing(tmp_path: Path) -> None:
    """Removing the 500 response removes every trace of it from the endpoint module."""
    doc = reference()
    del doc["paths"]["/credits"]["get"]["responses"]["500"]
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    assert "500" not in (package / ENDPOINT).read_text()
    assert "response_403" in (package / ENDPOINT).read_text()


def test_removed_operation_leaves_no_module(tmp_path: Path) -> None:
    """An operation the document no longer has leaves no module or model behind."""
    doc = document(UPSTREAM / "openrouter-api-2025-10-22.yaml")
    del doc["paths"]["/key"], doc["paths"]["/keys"], doc["paths"]["/keys/{hash}"]
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    assert not (package / "api" / "api_keys").exists()
    assert (package / "api" / "analytics" / "get_user_activity.py").is_file()
    assert not [p.name for p in (package / "models").iterdir() if p.name.startswith("get_current_key")]


def test_document_without_credits_fails_cleanly(tmp_path: Path) -> None:
    """A document without GET /credits: a sentence naming it, exit 1, no traceback."""
    doc = reference()
    doc["paths"]["/keys"] = doc["paths"].pop("/credits")
    result, _ = regenerate(tmp_path, doc)
    assert result.returncode == 1
    assert "GET /credits is not in the document" in result.stderr
    assert "Traceback" not in result.stderr


def test_document_level_bearer_keeps_the_signature(tmp_path: Path) -> None:
    """Auth declared as a document-level bearer scheme generates the same endpoint signatures."""
    doc = reference()
    del doc["paths"]["/credits"]["get"]["parameters"]
    doc["components"]["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "bearer"}}
    doc["security"] = [{"apiKey": []}]
    result, package = regenerate(tmp_path, doc)
    assert result.returncode == 0, result.stderr
    assert "copied the document-level security" in result.stdout
    assert signatures(package / ENDPOINT) == signatures(ROOT / "generated" / PACKAGE / ENDPOINT)


def test_newer_upstream_variant_keeps_the_public_api(tmp_path: Path) -> None:
    """Tag 'Credits', servers, error schemas, 3.1 type arrays and inline schemas: same module and names."""
    doc = reference()
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
    doc = reference()
    doc["paths"]["/credits"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Nowhere"
    }
    before = sorted(p.relative_to(ROOT / "generated") for p in (ROOT / "generated").rglob("*.py"))
    shutil.copytree(ROOT / "generated", tmp_path / "generated", ignore=shutil.ignore_patterns("__pycache__"))
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


@ON_REFERENCE_PAGE
def test_check_reports_drift(tmp_path: Path, generated: Callable[[Path], Generation]) -> None:
    """--check fails with a readable summary when generated/ differs from what the spec produces."""
    result, made = generated(REFERENCE_PAGE)
    assert result.returncode == 0
    package = tmp_path / "generated" / PACKAGE
    shutil.copytree(made, package)
    endpoint = package / ENDPOINT
    endpoint.write_text(endpoint.read_text().replace('"url": "/credits"', '"url": "/credit"'))
    (package / "models" / "extra.py").write_text("")
    (package / "types.py").unlink()
    out, build = str(package.parent), str(tmp_path / "build")
    check = generate_py("--check", "--spec", str(REFERENCE_PAGE), "--out", out, "--build", build)
    assert check.returncode == 1
    assert "  missing from generated/: types.py" in check.stdout
    assert "  stale in generated/ (the spec no longer produces it): models/extra.py" in check.stdout
    assert "  differs: api/credits_/get_credits.py" in check.stdout
    assert '-        "url": "/credit",' in check.stdout
    assert '+        "url": "/credits",' in check.stdout
    assert "Run `make generate`" in check.stdout


PUBLISHED_COPY = ROOT.parent / "shared" / "upstream" / "openrouter-api-2026-08-22.yaml"


if PUBLISHED_COPY.is_file():  # beside a checkout of the project's workspace; elsewhere nothing to compare with

    def test_openapi_yaml_is_upstream_byte_for_byte() -> None:
        """openapi.yaml is OpenRouter's published document, unchanged."""
        assert (ROOT / "openapi.yaml").read_bytes() == PUBLISHED_COPY.read_bytes()


def test_template_overrides_take_effect() -> None:
    """Golden lines from each override, in the committed package (an override the generator ignored
    would leave the generator's own output here)."""
    package = ROOT / "generated" / PACKAGE
    endpoint = (package / ENDPOINT).read_text()
    assert "        body = errors.validate(response, _RESPONSE_200_SHAPE)\n" in endpoint
    assert '_RESPONSE_200_SHAPE = ("model", "get_credits_response_200")\n' in endpoint
    assert "        status_code=as_status(response.status_code),\n" in endpoint
    assert "HTTPStatus(" not in endpoint
    types = (package / "types.py").read_text()
    assert "    status_code: HTTPStatus | int\n" in types
    assert "def as_status(code: int) -> HTTPStatus | int:\n" in types
    assert "class ResponseValidationError(Exception):\n" in (package / "errors.py").read_text()
    model = (package / "models" / "get_credits_response_200_data.py").read_text()
    assert '        "total_credits": (True, ("number",)),\n' in model


def test_client_repr_hides_the_token() -> None:
    """The client.py override: the token (and the headers, which carry it once a request is made) are
    left out of repr(), before and after the first request."""
    from openrouter_credits_client import AuthenticatedClient

    client = (ROOT / "generated" / PACKAGE / "client.py").read_text()
    assert "    token: str = field(repr=False)\n" in client
    made = AuthenticatedClient(base_url="https://openrouter.ai/api/v1", token="sk-or-v1-secret")
    assert "sk-or-v1-secret" not in repr(made)
    assert repr(made).startswith("AuthenticatedClient(raise_on_unexpected_status=False, _base_url='https://openrouter")
    with made.get_httpx_client() as http:  # the first request's client: the headers carry the token now
        assert http.headers["Authorization"] == "Bearer sk-or-v1-secret"
    assert "sk-or-v1-secret" not in repr(made)


def test_every_override_of_a_generator_template_is_drift_checked() -> None:
    """Each file in templates/ that copies one of the generator's templates has its hash recorded."""
    upstream = generate.upstream_templates()
    copies = {
        path.relative_to(generate.TEMPLATES).as_posix()
        for path in generate.TEMPLATES.rglob("*.jinja")
        if (upstream / path.relative_to(generate.TEMPLATES)).is_file()
    }
    assert "client.py.jinja" in copies
    assert copies <= set(generate.recorded_templates())


def test_template_drift_is_caught(tmp_path: Path) -> None:
    """A change to a generator template the overrides build on is reported, naming it."""
    upstream = tmp_path / "templates"
    shutil.copytree(generate.upstream_templates(), upstream)
    assert generate.template_drift(upstream) == []
    macros = upstream / "endpoint_macros.py.jinja"
    macros.write_text(macros.read_text() + "\n{# a new generator version #}\n")
    (upstream / "types.py.jinja").unlink()
    drift = generate.template_drift(upstream)
    assert [line.split(":")[0].strip() for line in drift] == ["endpoint_macros.py.jinja", "types.py.jinja"]
    assert drift[1].endswith("the installed generator has missing")


def test_make_generate_stops_on_template_drift(tmp_path: Path) -> None:
    """`make check-generated` and `make generate` refuse to run while the recorded hashes disagree."""
    project = project_copy(tmp_path)
    hashes = project / "templates" / "upstream.sha256"
    hashes.write_text(re.sub(r"^[0-9a-f]{64}(?=  model\.py\.jinja)", "0" * 64, hashes.read_text(), flags=re.M))
    for target in ("check-generated", "generate"):
        result = make(project, target)
        assert result.returncode != 0
        assert "  model.py.jinja: recorded 000000000000, the installed generator has " in result.stderr
        assert "--record-templates" in result.stderr
