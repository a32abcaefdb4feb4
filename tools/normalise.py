"""Turn the OpenAPI document upstream publishes into the canonical one we generate from.

Upstream's document varies from copy to copy in ways that would change the generated public API
(or stop the generator outright). Each repair below makes one such variation canonical and prints
one line saying what it changed; a document that already is canonical passes through untouched.

    python tools/normalise.py openapi.yaml build/openapi.normalised.json

A document broken in a way no repair covers is reported as ``<JSON path>: <problem>`` lines on
stderr with exit status 1.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BEARER_SCHEME = "bearerAuth"
EXPORTER_TAG_PREFIX = "subpackage_"

Doc = dict[str, Any]
Report = Callable[[str], None]


class DocumentError(Exception):
    """The document is broken in a way no repair covers."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- JSON paths -------------------------------------------------------------------------------


def jpath(*parts: str | int) -> str:
    """``jpath("paths", "/credits", "get")`` -> ``$.paths['/credits'].get``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


def operations(doc: Doc) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(path, method, operation)`` for every operation in the document."""
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield path, method, operation


def resolve(doc: Doc, node: Any) -> Any:
    """Follow a local ``$ref`` (one level deep chains included); anything else is returned as is."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen or not ref.startswith("#/"):
            return node
        seen.add(ref)
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return node
            target = target[part]
        node = target
    return node


# --- repairs --------------------------------------------------------------------------------


def flatten_tags(doc: Doc, report: Report) -> None:
    """Nested tag lists (``[[subpackage_credits]]``) become flat lists of strings."""

    def flat(items: list[Any]) -> list[Any]:
        out: list[Any] = []
        for item in items:
            out.extend(flat(item) if isinstance(item, list) else [item])
        return out

    for path, method, operation in operations(doc):
        tags = operation.get("tags")
        if isinstance(tags, list) and any(isinstance(t, list) for t in tags):
            operation["tags"] = flat(tags)
            report(f"{jpath('paths', path, method, 'tags')}: flattened {tags!r} to {operation['tags']!r}")


def canonical_tag(tag: str) -> str:
    """``subpackage_credits`` and ``Credits`` both become ``credits``."""
    if tag.startswith(EXPORTER_TAG_PREFIX):
        tag = tag[len(EXPORTER_TAG_PREFIX) :]
    tag = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", tag)
    return re.sub(r"[^A-Za-z0-9]+", "_", tag).strip("_").lower()


def canonicalise_tags(doc: Doc, report: Report) -> None:
    """The first tag decides the module path (``api/<tag>/``): make it the same for every variant."""
    for path, method, operation in operations(doc):
        tags = operation.get("tags")
        where = jpath("paths", path, method, "tags")
        if tags is None or tags == []:
            segment = next((s for s in path.split("/") if s and "{" not in s), "default")
            operation["tags"] = [canonical_tag(segment)]
            report(f"{where}: no tag; added {operation['tags'][0]!r} from the path")
        elif isinstance(tags, list) and isinstance(tags[0], str):
            new = canonical_tag(tags[0])
            if new and new != tags[0]:
                operation["tags"] = [new, *tags[1:]]
                report(f"{where}[0]: renamed tag {tags[0]!r} to {new!r}")


def _ensure_bearer_scheme(doc: Doc, report: Report) -> str:
    """Name of an HTTP bearer security scheme, adding one to the components if there is none."""
    components = doc.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    for name, scheme in schemes.items():
        scheme = resolve(doc, scheme)
        is_http = isinstance(scheme, dict) and scheme.get("type") == "http"
        if is_http and str(scheme.get("scheme", "")).lower() == "bearer":
            return str(name)
    schemes[BEARER_SCHEME] = {"type": "http", "scheme": "bearer"}
    report(f"{jpath('components', 'securitySchemes', BEARER_SCHEME)}: added an HTTP bearer scheme")
    return BEARER_SCHEME


def _is_authorization_header(doc: Doc, parameter: Any) -> bool:
    parameter = resolve(doc, parameter)
    return (
        isinstance(parameter, dict)
        and parameter.get("in") == "header"
        and str(parameter.get("name", "")).lower() == "authorization"
    )


def _drop_authorization_header(doc: Doc, holder: dict[str, Any]) -> bool:
    """Remove an Authorization header parameter from a path item or operation; say if there was one."""
    params = holder.get("parameters")
    if not (isinstance(params, list) and any(_is_authorization_header(doc, p) for p in params)):
        return False
    holder["parameters"] = [p for p in params if not _is_authorization_header(doc, p)]
    if not holder["parameters"]:
        del holder["parameters"]
    return True


def authorization_header_to_security(doc: Doc, report: Report) -> None:
    """A required ``Authorization`` header parameter becomes a bearer security requirement."""
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        shared_auth = _drop_authorization_header(doc, item)
        if shared_auth:
            report(f"{jpath('paths', path, 'parameters')}: removed the Authorization header parameter")
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            own_auth = _drop_authorization_header(doc, operation)
            if (own_auth or shared_auth) and not operation.get("security"):
                scheme = _ensure_bearer_scheme(doc, report)
                operation["security"] = [{scheme: []}]
                report(
                    f"{jpath('paths', path, method)}: Authorization header parameter "
                    f"replaced by bearer security {scheme!r}"
                )
            elif own_auth:
                report(f"{jpath('paths', path, method, 'parameters')}: removed the Authorization header parameter")


def copy_global_security(doc: Doc, report: Report) -> None:
    """The generator ignores document-level ``security``: copy it onto each operation without one."""
    security = doc.get("security")
    if not security:
        return
    for path, method, operation in operations(doc):
        if "security" not in operation:
            operation["security"] = copy.deepcopy(security)
            report(f"{jpath('paths', path, method, 'security')}: copied the document-level security")


def _pascal(text: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", text)
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _is_object_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and "$ref" not in schema and isinstance(schema.get("properties"), dict)


def _count_refs(node: Any, counts: dict[str, int]) -> dict[str, int]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            counts[ref] = counts.get(ref, 0) + 1
        for value in node.values():
            _count_refs(value, counts)
    elif isinstance(node, list):
        for value in node:
            _count_refs(value, counts)
    return counts


def _rename_refs(node: Any, old: str, new: str) -> None:
    if isinstance(node, dict):
        if node.get("$ref") == old:
            node["$ref"] = new
        for value in node.values():
            _rename_refs(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, old, new)


def canonical_schema_names(doc: Doc, report: Report) -> None:
    """Give every object schema of a response a name derived from the operation, not the exporter.

    Upstream names them ``Credits_getCredits_Response_200`` in one copy and inlines them in another,
    which would rename the generated model classes. Here each becomes a component named
    ``<OperationId>Response<status>`` (``GetCreditsResponse200``), and each object-valued property
    of it ``<Parent><Property>`` (``GetCreditsResponse200Data``). Components referenced from more than
    one place keep their names: they are shared on purpose.
    """
    schemas_path = ("components", "schemas")

    def place(schema_holder: dict[str, Any], key: str | int, name: str, where: str) -> None:
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schema = schema_holder[key]
        target_ref = f"#/components/schemas/{name}"
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            prefix = "#/components/schemas/"
            if ref == target_ref or not ref.startswith(prefix):
                body = resolve(doc, schema)
            else:
                old = ref[len(prefix) :]
                body = schemas.get(old)
                if not _is_object_schema(body) or name in schemas:
                    return
                if _count_refs(doc, {}).get(ref, 0) != 1:
                    return
                schemas[name] = schemas.pop(old)
                _rename_refs(doc, ref, target_ref)
                report(f"{jpath(*schemas_path, old)}: renamed to {name!r}")
                body = schemas[name]
        elif _is_object_schema(schema):
            if name in schemas:
                return
            schemas[name] = schema
            schema_holder[key] = {"$ref": target_ref}
            report(f"{where}: moved the inline schema to {jpath(*schemas_path, name)}")
            body = schema
        else:
            return
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            return
        for prop in list(body["properties"]):
            place(body["properties"], prop, name + _pascal(prop), jpath(*schemas_path, name, "properties", prop))

    for path, method, operation in operations(doc):
        op_name = _pascal(str(operation.get("operationId") or f"{method} {path}"))
        responses = operation.get("responses")
        if not isinstance(responses, dict):
            continue
        for status, response in responses.items():
            response = resolve(doc, response)
            content = response.get("content") if isinstance(response, dict) else None
            if not isinstance(content, dict):
                continue
            for media_type, media in content.items():
                if "json" in str(media_type) and isinstance(media, dict) and "schema" in media:
                    where = jpath("paths", path, method, "responses", str(status), "content", media_type, "schema")
                    place(media, "schema", f"{op_name}Response{_pascal(str(status))}", where)


REPAIRS: tuple[Callable[[Doc, Report], None], ...] = (
    flatten_tags,
    canonicalise_tags,
    authorization_header_to_security,
    copy_global_security,
    canonical_schema_names,
)


# --- validation -----------------------------------------------------------------------------


def _dangling_refs(doc: Doc) -> list[str]:
    problems = []
    for ref in sorted(_count_refs(doc, {})):
        if not ref.startswith("#/"):
            problems.append(f"{ref}: only references inside the document are supported")
        elif resolve(doc, {"$ref": ref}) == {"$ref": ref}:
            problems.append(f"{jpath(*ref[2:].split('/'))}: referenced as {ref!r} but not defined")
    return problems


def validate(doc: Doc) -> list[str]:
    """Problems (``<JSON path>: <message>``) that would stop or mislead the generator."""
    from openapi_python_client.schema import OpenAPI
    from pydantic import ValidationError

    problems: list[str] = []
    version = doc.get("openapi")
    if not (isinstance(version, str) and version.startswith("3.")):
        problems.append(f"$.openapi: expected an OpenAPI 3.x version string, found {version!r}")
    if not isinstance(doc.get("paths"), dict) or not any(True for _ in operations(doc)):
        problems.append("$.paths: no operations found")
    try:
        OpenAPI.model_validate(doc)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [part for part in error["loc"] if not (isinstance(part, str) and part[:1].isupper())]
            problems.append(f"{jpath(*loc)}: {error['msg']}")
    problems.extend(_dangling_refs(doc))
    return list(dict.fromkeys(problems))


def normalise(doc: Any, report: Report = print) -> Doc:
    """Return the canonical form of ``doc`` (a new object); raise DocumentError if it can't be made valid."""
    if not isinstance(doc, dict):
        raise DocumentError([f"$: expected a mapping at the top of the document, found {type(doc).__name__}"])
    doc = copy.deepcopy(doc)
    for repair in REPAIRS:
        repair(doc, report)
    problems = validate(doc)
    if problems:
        raise DocumentError(problems)
    return doc


def load(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError([f"{path}: cannot read the document ({exc})"]) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DocumentError([f"{where}: not valid YAML: {problem}"]) from exc


def dump(doc: Doc) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: normalise.py SOURCE.yaml TARGET.json", file=sys.stderr)
        return 2
    source, target = Path(args[0]), Path(args[1])
    try:
        doc = normalise(load(source), report=lambda line: print(f"normalise: {line}"))
    except DocumentError as exc:
        print(f"normalise: {source} cannot be used to generate the client:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump(doc), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
