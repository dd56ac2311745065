"""The package as a user gets it: a wheel installed into a fresh environment speaks.

Everything the bot reads at run time (catalogs, word lists, migrations, the
web page, sample data) must travel inside the wheel: a non-editable install,
run from a directory far from the checkout, has nothing else. The test builds
the wheel, installs it with the project's pinned versions into a new virtual
environment and has a short conversation through `pintu chat`, in Indonesian
and then in English.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STEP_TIMEOUT = 600  # seconds for one build, install or conversation; a slower step has hung

pytestmark = pytest.mark.slow


def run(
    command: list[str | Path], cwd: Path, typed: str = "", env: dict[str, str] | None = None
) -> str:
    """What `command` printed; it must succeed."""
    finished = subprocess.run(  # noqa: S603 (our own interpreter and tools, no shell)
        [str(part) for part in command],
        cwd=cwd,
        input=typed,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    assert finished.returncode == 0, f"{command} failed:\n{finished.stdout}\n{finished.stderr}"
    return finished.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with only the wheel and its pinned dependencies installed."""
    work = tmp_path_factory.mktemp("packaging")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "dist", ROOT], work)
    (wheel,) = (work / "dist").glob("pintu-*.whl")
    run([sys.executable, "-m", "venv", work / "env"], work)
    python = work / "env" / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", wheel], work)
    return work / "env"


def test_installed_package_is_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = run([installed / "bin" / "python", "-c", "import bot; print(bot.__file__)"], tmp_path)
    assert Path(where.strip()).is_relative_to(installed)


def test_installed_pintu_chats_in_indonesian_then_english(installed: Path, tmp_path: Path) -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PINTU_", "PYTHON", "VIRTUAL_ENV"))
    }
    environment |= {
        "PINTU_VAR_DIR": str(tmp_path / "var"),
        "PINTU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pintu.db'}",
    }
    typed = "\n".join(["halo", "bahasa", "2", "menu", "/quit"]) + "\n"

    shown = run([installed / "bin" / "pintu", "chat"], tmp_path, typed, environment)

    first_answer, _, after_switch = shown.partition("continue in English")
    assert "Selamat datang" in first_answer
    assert "Apa yang bisa kami bantu?" in first_answer
    assert after_switch, "the language never switched to English"
    assert "How can we help? Choose one:" in after_switch
    assert "Report an incident" in after_switch


def test_installed_package_holds_the_inbox_pages_and_files(installed: Path, tmp_path: Path) -> None:
    """The web inbox renders from the wheel: templates, htmx, Swagger UI and the styles."""
    script = (
        "from pathlib import Path; import backoffice.web as w; "
        "root = Path(w.__file__).parent; "
        "print(*sorted(str(p.relative_to(root)) for p in root.rglob('*') "
        "if p.suffix in {'.html', '.js', '.css', '.md'}))"
    )
    listed = run([installed / "bin" / "python", "-c", script], tmp_path).split()
    for name in (
        "templates/base.html",
        "templates/queue.html",
        "templates/case.html",
        "templates/docs.html",
        "static/htmx.min.js",
        "static/inbox.css",
        "static/VENDORED.md",
        "static/swagger-init.js",
        "static/swagger/swagger-ui-bundle.js",
        "static/swagger/swagger-ui.css",
    ):
        assert name in listed, name
