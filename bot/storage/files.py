"""Files and directories pintu creates on disk, readable by the service's user only.

Citizens' files, the SQLite database and the generated keys: 0700 directories,
0600 files, whatever the process's umask (`pintu serve` sets 077 as well).
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Create `path` and its missing parents as 0700 directories (existing ones are left)."""
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        directory.chmod(PRIVATE_DIR)  # mkdir's mode passes through the umask


def private_file(path: Path) -> None:
    """Create `path` empty as a 0600 file unless it exists; an existing one is made 0600."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    path.chmod(PRIVATE_FILE)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a new 0600 file at `path` (replacing what is there)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    path.chmod(PRIVATE_FILE)
