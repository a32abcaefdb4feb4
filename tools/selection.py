"""Keep the chosen operations of an OpenAPI document and what they reach; drop everything else.

Upstream publishes one document for its whole API (73 paths and about 1.4 MB today). This project
generates a handful of operations from it, named by method and path in ``generator-config.yaml``
under ``select_operations``. Everything else is removed before the repairs and the generator see the
document, so a schema upstream breaks elsewhere cannot stop regeneration:

- each path keeps only its selected methods (and its path-level fields); other paths go;
- components no longer reachable from what is kept, through ``$ref`` transitively, are pruned, and
  so are security schemes no kept security requirement names, and tag objects no kept operation uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from openapi_doc import HTTP_METHODS, Doc, DocumentError, jpath, refs

CONFIG_KEY = "select_operations"
REQUIRED, OPTIONAL = "required", "optional"

Report = Callable[[str], None]


class Operation:
    """``GET /credits``: one operation named by its method and path, the API's contract."""

    __slots__ = ("method", "path", "required")

    def __init__(self, text: str, required: bool) -> None:
        match = re.fullmatch(r"\s*([A-Za-z]+)\s+(/\S*)\s*", text)
        if not match or match[1].lower() not in HTTP_METHODS:
            raise ValueError(f"{text!r} is not an operation: write the HTTP method and the path, as in 'GET /credits'")
        self.method = match[1].lower()
        self.path = match[2]
        self.required = required

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def __repr__(self) -> str:
        return f"Operation({str(self)!r}, required={self.required})"


def operations_from_config(config: Any, source: str = "generator-config.yaml") -> list[Operation]:
    """Read ``select_operations: {"GET /credits": required, "GET /key": optional, ...}``."""
    where = f"{source}: {CONFIG_KEY}"
    entries = config.get(CONFIG_KEY) if isinstance(config, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise DocumentError([f"{where}: list the operations to generate, as in 'GET /credits: required'"])
    selected: list[Operation] = []
    problems: list[str] = []
    for text, kind in entries.items():
        if kind not in (REQUIRED, OPTIONAL):
            problems.append(f"{where}: {text!r} must be {REQUIRED!r} or {OPTIONAL!r}, not {kind!r}")
            continue
        try:
            selected.append(Operation(str(text), required=kind == REQUIRED))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise DocumentError(problems)
    return selected


def load_config(path: Path) -> Any:
    """The generator's config file as data (it holds our ``select_operations`` as well)."""
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DocumentError([f"{path}: cannot read the generator configuration ({exc})"]) from None


def _security_names(requirements: Any) -> Iterator[str]:
    if isinstance(requirements, list):
        for requirement in requirements:
            if isinstance(requirement, dict):
                yield from (str(name) for name in requirement)


def select(doc: Doc, wanted: Iterable[Operation], report: Report) -> Doc:
    """``doc`` with only the wanted operations (a new top-level mapping; nested parts are shared)."""
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        raise DocumentError(["$.paths: the document has no paths"])
    kept: dict[str, dict[str, Any]] = {}
    missing_required: list[str] = []
    for op in wanted:
        item = paths.get(op.path)
        if not (isinstance(item, dict) and isinstance(item.get(op.method), dict)):
            if op.required:
                missing_required.append(
                    f"{jpath('paths', op.path, op.method)}: {op} is not in the document, and the client is "
                    "built around it: is this OpenRouter's API document?"
                )
            else:
                report(f"{jpath('paths', op.path, op.method)}: {op} is not in the document; not generated")
            continue
        target = kept.setdefault(op.path, {k: v for k, v in item.items() if k not in HTTP_METHODS})
        target[op.method] = item[op.method]
    if missing_required:
        raise DocumentError(missing_required)
    total = sum(1 for item in paths.values() if isinstance(item, dict) for m in HTTP_METHODS if m in item)
    chosen = sum(1 for item in kept.values() for m in HTTP_METHODS if m in item)
    out = {k: v for k, v in doc.items() if k not in ("paths", "webhooks")}
    out["paths"] = kept
    if chosen != total or "webhooks" in doc:
        report(f"$.paths: kept the {chosen} selected operation(s) of {total}")
    return prune(out, report)


def prune(doc: Doc, report: Report) -> Doc:
    """Drop components (schemas, responses, parameters, ...) nothing outside them reaches."""
    components = doc.get("components")
    if not isinstance(components, dict):
        return doc
    prefix = "#/components/"
    reached: set[tuple[str, str]] = set()
    rest = {k: v for k, v in doc.items() if k != "components"}
    pending = list(refs(rest))
    while pending:
        ref = pending.pop()
        if not ref.startswith(prefix):
            continue
        section, _, name = ref[len(prefix) :].partition("/")
        name = name.split("/")[0].replace("~1", "/").replace("~0", "~")
        if (section, name) in reached:
            continue
        reached.add((section, name))
        target = components.get(section, {}).get(name) if isinstance(components.get(section), dict) else None
        pending.extend(refs(target))
    schemes = set(_security_names(doc.get("security")))
    for item in doc["paths"].values():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                schemes.update(_security_names(item[method].get("security")))
    reached.update(("securitySchemes", name) for name in schemes)

    pruned = 0
    new_components: dict[str, Any] = {}
    for section, entries in components.items():
        if not isinstance(entries, dict) or section.startswith("x-"):
            new_components[section] = entries
            continue
        keep = {name: value for name, value in entries.items() if (section, name) in reached}
        pruned += len(entries) - len(keep)
        if keep:
            new_components[section] = keep
    out = {**doc, "components": new_components}
    used_tags = {
        tag
        for item in doc["paths"].values()
        for method in HTTP_METHODS
        if isinstance(item.get(method), dict)
        for tag in item[method].get("tags") or []
        if isinstance(tag, str)
    }
    if isinstance(doc.get("tags"), list):
        out["tags"] = [t for t in doc["tags"] if not isinstance(t, dict) or t.get("name") in used_tags]
        pruned += len(doc["tags"]) - len(out["tags"])
    if pruned:
        report(f"$.components: pruned {pruned} component(s) and tag(s) the selected operations do not reach")
    return out
