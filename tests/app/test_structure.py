"""The app's code uses Textual's public API only (private modules change in minor releases)."""

from __future__ import annotations

import ast
from pathlib import Path

import benefits_tui

PACKAGE = Path(benefits_tui.__file__).parent


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_no_private_textual_module_is_imported() -> None:
    private = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for module in _imported_modules(path)
        if module.startswith("textual.") and any(p.startswith("_") for p in module.split("."))
    ]
    assert private == []
