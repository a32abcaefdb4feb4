"""make update-spec: replace openapi.yaml with upstream's newest document, and say what changed for us.

    python tools/update_spec.py [URL or PATH]      # default: https://openrouter.ai/openapi.yaml

The document is fetched whole, parsed and checked before anything is written: one that does not
parse, or lacks an operation generator-config.yaml marks `required` (GET /credits), is refused with
a sentence saying why, exit status 1, and openapi.yaml is left as it was. An accepted document is
written byte for byte as published. Then the selected operations of the old and the new document
(with every component they reach) are compared, and each place they differ is printed as a JSON
path, so you know whether upstream's churn matters before `make generate`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import normalise
import selection
from openapi_doc import DocumentError, jpath

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "https://openrouter.ai/openapi.yaml"
MAX_BYTES = 32 * 1024 * 1024  # today's document is about 1.4 MB
TIMEOUT = 60.0
MAX_CHANGES_SHOWN = 60


class Refused(Exception):
    """The new document cannot replace openapi.yaml; the message says why."""


def fetch(source: str) -> bytes:
    """The bytes at ``source``: an http(s) URL, a file:// URL or a local path."""
    if source.startswith("file:"):
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        parts = urlsplit(source)
        if parts.netloc not in ("", "localhost"):
            raise Refused(f"{source} names a file on another host ({parts.netloc}): give a local path")
        source = url2pathname(parts.path)
    if not source.startswith(("http://", "https://")):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise Refused(f"cannot read {source}: {exc.strerror or exc}") from None
    import urllib.error
    import urllib.request

    request = urllib.request.Request(source, headers={"User-Agent": "openrouter-credits update-spec"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (http(s) only, checked above)
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise Refused(f"{source} answered HTTP {exc.code} ({exc.reason})") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Refused(f"could not fetch {source}: {reason}") from None
    if len(data) > MAX_BYTES:
        raise Refused(f"{source} is larger than {MAX_BYTES // (1024 * 1024)} MiB, which no API document is")
    return data


def parse(data: bytes, source: str) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise Refused(f"{source} is not YAML or JSON ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise Refused(f"{source} is not an OpenAPI document (it has no paths)")
    return doc


def selected(doc: dict[str, Any], wanted: list[selection.Operation], source: str) -> dict[str, Any]:
    try:
        return selection.select(doc, wanted, report=lambda line: None)
    except DocumentError as exc:
        raise Refused(f"{source} cannot be used: " + "; ".join(exc.problems)) from None


def differences(old: Any, new: Any, parts: tuple[str | int, ...] = ()) -> list[str]:
    """JSON paths where ``old`` and ``new`` differ: the deepest mapping key or list that changed."""
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[str] = []
        for key in sorted(old.keys() | new.keys(), key=str):
            where = (*parts, str(key))
            if key not in new:
                found.append(f"{jpath(*where)}: removed")
            elif key not in old:
                found.append(f"{jpath(*where)}: added")
            else:
                found.extend(differences(old[key], new[key], where))
        return found
    if old == new:
        return []
    return [f"{jpath(*parts)}: changed"]


def sentence(text: str) -> str:
    """``text`` ending with one full stop (or the ? or ! it has), never two marks."""
    return text if text.endswith((".", "?", "!")) else text + "."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("source", nargs="?", default=DEFAULT_URL, help=f"URL or path (default {DEFAULT_URL})")
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, default=ROOT / "generator-config.yaml", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    source = args.source.strip() or DEFAULT_URL
    try:
        wanted = selection.operations_from_config(selection.load_config(args.config), args.config.name)
    except DocumentError as exc:
        print("update-spec: " + "; ".join(exc.problems), file=sys.stderr)
        return 1
    try:
        data = fetch(source)
        new = selected(parse(data, source), wanted, source)
    except Refused as exc:
        print(f"update-spec: {sentence(str(exc))} {args.spec.name} is unchanged.", file=sys.stderr)
        return 1

    old_bytes = args.spec.read_bytes() if args.spec.is_file() else b""
    if data == old_bytes:
        print(f"update-spec: {args.spec.name} already is the document at {source}; nothing to do.")
        return 0
    try:
        old = selection.select(normalise.load(args.spec), wanted, report=lambda line: None) if old_bytes else {}
    except DocumentError:
        old = {}  # the old document was unusable: everything counts as changed
    args.spec.write_bytes(data)
    print(f"update-spec: wrote {args.spec.name} ({len(data):,} bytes) from {source}.")
    order = ("$.paths", "$.components")  # the operations first, then what they use, then the rest
    changes = sorted(
        differences(old, new), key=lambda line: next((i for i, p in enumerate(order) if line.startswith(p)), 2)
    )
    if not changes:
        print("update-spec: the selected operations and what they use did not change; `make generate` will not either.")
        return 0
    print(f"update-spec: the selected operations changed in {len(changes)} place(s):")
    for line in changes[:MAX_CHANGES_SHOWN]:
        print(f"  {line}")
    if len(changes) > MAX_CHANGES_SHOWN:
        print(f"  ... and {len(changes) - MAX_CHANGES_SHOWN} more")
    print("Next: `make generate`, then read `git diff generated/`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
