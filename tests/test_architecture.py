"""The import rules of DESIGN §2 and STYLE lessons 3 and 8, checked on the source.

Packages are ranked from the vocabulary up to the composition root; a module
may import its own package and any package ranked below it, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.settings", "bot.logs", "bot.domain"),
    ("bot.language",),
    ("bot.engine",),
    ("bot.flows",),
    ("bot.storage",),
    ("bot.media",),
    ("bot.outbox",),
    ("bot.services",),
    ("bot.duty",),
    ("bot.ingress",),
    ("bot.runtime",),
    ("bot.handlers",),
    ("backoffice",),
    ("bot.scheduler",),
    ("bot.app", "bot.cli"),
)
"""Lowest first. `bot.runtime` builds the services the channels use; the back-office
uses what the bot offers; `bot.app` and `bot.cli` wire everything (the composition root)."""

KNOWN_UPWARD: set[tuple[str, str]] = set()
"""Imports against the order still to be removed; none may be added."""


def package_of(module: str) -> tuple[str, int] | None:
    best: tuple[str, int] | None = None
    for rank, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (
                best is None or len(name) > len(best[0])
            ):
                best = (name, rank)
    return best


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def sources() -> list[Path]:
    found = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "backoffice").rglob("*.py")]
    return sorted(path for path in found if path != ROOT / "bot" / "__init__.py")


def upward_imports(path: Path) -> set[tuple[str, str]]:
    me = package_of(module_name(path))
    assert me is not None, f"{module_name(path)} belongs to no layer: add its package to LAYERS"
    found = set()
    for name in imports(path):
        other = package_of(name)
        if other is not None and other[0] != me[0] and other[1] > me[1]:
            # `from bot.x import y` names both bot.x and bot.x.y: report the module imported
            found.add((module_name(path), name if name.count(".") < 3 else name.rsplit(".", 1)[0]))
    return found


def test_there_are_modules_to_check() -> None:
    assert len(sources()) >= 60


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_dependencies_point_down(path: Path) -> None:
    upward = {
        (importer, imported)
        for importer, imported in upward_imports(path)
        if not any(importer == known[0] and imported.startswith(known[1]) for known in KNOWN_UPWARD)
    }
    assert upward == set()


def test_the_known_exceptions_still_exist() -> None:
    """An exception that was mended is taken off the list, so it cannot come back."""
    found = {pair for path in sources() for pair in upward_imports(path)}
    stale = {
        known
        for known in KNOWN_UPWARD
        if not any(f == known[0] and i.startswith(known[1]) for f, i in found)
    }
    assert stale == set()
