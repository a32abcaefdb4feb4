"""The tree shows the layout's rules: the library's top level imports neither the applications nor
their shared code, only the client imports the call pipeline, and the README's layout names every
module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "wrapper" / "openrouter_credits"
#: Subpackages a library module must not import: the applications, what only they share, the mock.
APPLICATIONS = ("cli", "exporter", "testing", "_apps", "ledger")


def imported(path: Path) -> set[str]:
    """The modules of the package that ``path`` imports (anywhere in it, lazily or not), as dotted
    names relative to the package (``_call.retry``, ``cli``)."""
    package = list(path.relative_to(PACKAGE).parent.parts)  # a package's __init__ is in it too
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("openrouter_credits."):
                    found.add(node.module.removeprefix("openrouter_credits."))
                continue
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = [*base, *(node.module.split(".") if node.module else [])]
            if node.module:
                found.add(".".join(target))
            else:
                found.update(".".join([*target, alias.name]) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.removeprefix("openrouter_credits.")
                for alias in node.names
                if alias.name.startswith("openrouter_credits.")
            )
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"openrouter_credits(\.\w+)+", node.value)
        ):
            # importlib.import_module("openrouter_credits._credits"): the call pipeline's lazy imports
            found.add(node.value.removeprefix("openrouter_credits."))
    return found


def library_modules() -> list[Path]:
    """The library's modules: the top level and the call pipeline (``__main__`` is the command's)."""
    modules = [*PACKAGE.glob("*.py"), *(PACKAGE / "_call").glob("*.py")]
    return sorted(path for path in modules if path.name != "__main__.py")


@pytest.mark.parametrize("path", library_modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_the_library_never_imports_the_applications(path: Path) -> None:
    """A module of the library (the top level and the call pipeline) imports no command line,
    exporter, mock, ledger, nor what only the applications share."""
    wrong = {name for name in imported(path) if name.split(".")[0] in APPLICATIONS}
    assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"


def test_only_the_client_imports_the_call_pipeline() -> None:
    """``_call/`` is the clients' business: nothing outside it but ``_client`` imports it."""
    users = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "_call" not in path.relative_to(PACKAGE).parts
        and any(name.split(".")[0] == "_call" for name in imported(path))
    }
    assert users == {"_client.py"}


def test_the_readme_layout_names_every_module() -> None:
    """Each module of the package is named in the README's layout section, so the drawing keeps up
    with the tree."""
    text = (ROOT / "README.md").read_text()
    layout = text[text.index("## Layout\n") :]
    missing = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
        and "__pycache__" not in path.parts
        and not re.search(rf"(?<![\w.]){re.escape(path.stem)}(?![\w])", layout)
    ]
    assert not missing, f"the README's layout does not name {missing}"
