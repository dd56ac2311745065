"""The import rules of DESIGN §2 and STYLE lesson 3, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSITION_ROOT = {"bot/app.py", "bot/cli.py"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_there_are_modules_to_check() -> None:
    assert len(modules("bot/flows")) >= 2
    assert len(modules("bot")) >= 20


@pytest.mark.parametrize("path", modules("bot/flows"), ids=lambda p: p.name)
def test_flows_know_no_channel_web_framework_or_backoffice(path: Path) -> None:
    forbidden = (
        "bot.handlers",
        "telegram",
        "fastapi",
        "httpx",
        "starlette",
        "backoffice",
        "sqlalchemy",
    )
    bad = [
        name
        for name in imports(path)
        if name.split(".")[0] in forbidden or name.startswith(forbidden)
    ]
    assert bad == []


@pytest.mark.parametrize("path", modules("bot/engine"), ids=lambda p: p.name)
def test_engine_knows_no_channel(path: Path) -> None:
    bad = [
        name for name in imports(path) if name.startswith(("bot.handlers", "telegram", "fastapi"))
    ]
    assert bad == []


@pytest.mark.parametrize("path", modules("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_bot_never_imports_backoffice_outside_the_composition_root(path: Path) -> None:
    if str(path.relative_to(ROOT)) in COMPOSITION_ROOT:
        return
    assert not [name for name in imports(path) if name.split(".")[0] == "backoffice"]
