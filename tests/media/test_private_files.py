"""What pintu writes to disk is for the service's user only: 0700 directories, 0600 files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.media.store import Upload
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.images import jpeg_photo


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"secret_key": None})  # generated into the var directory


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_keys_and_media_are_the_service_users_only(
    settings: Settings, runtime: Runtime
) -> None:
    """The app started on an empty var directory, then a citizen's photo stored."""
    stored = runtime.runner.media.store(Upload(jpeg_photo().data))
    assert stored.clean_path is not None  # the copy without metadata: a second file
    media = settings.media_dir
    for kept in (media / stored.path, media / stored.clean_path):
        assert mode_of(kept) == 0o600
        assert mode_of(kept.parent) == 0o700
    assert mode_of(media) == 0o700
    assert mode_of(settings.var_dir) == 0o700
    assert mode_of(settings.var_dir / "secret_key") == 0o600
    if settings.is_sqlite:
        database = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
        # SQLite gives its -wal and -shm files the database file's permissions
        files = [database, *database.parent.glob(f"{database.name}-*")]
        assert {file.name.removeprefix(database.name) for file in files} >= {"", "-wal", "-shm"}
        assert {file.name: mode_of(file) for file in files} == {file.name: 0o600 for file in files}
