"""The layers (engine <- tools <- surfaces) are checked by import-linter (pyproject.toml), which reads import
statements only. An import by name (importlib.import_module, __import__) would slip past it, so none is
allowed anywhere in the four packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("m2bridge", "mcp_tools", "lsp", "acp_agent")
BY_NAME = {"import_module", "__import__"}


def by_name_imports(source: str) -> list[int]:
    """Lines that import a module by name: a call to import_module or __import__, however reached."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            called = node.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", None)
            if name in BY_NAME:
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and any(alias.name in BY_NAME for alias in node.names):
            lines.append(node.lineno)
    return lines


def test_the_finder_sees_every_way_of_importing_by_name() -> None:
    source = (
        "import importlib\n"
        "from importlib import import_module\n"
        "importlib.import_module('mcp_tools.server.cli')\n"
        "__import__('lsp.cli')\n"
        "import_module('x')\n"
        "# importlib.import_module('in a comment') is fine\n"
    )
    assert by_name_imports(source) == [2, 3, 4, 5]


def test_no_module_of_the_four_packages_imports_another_by_name() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in by_name_imports(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "import these with a plain import (inside a function if start-up needs it)"
