"""Storing citizens' files: content-addressed, hashed on receipt, kept unaltered."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bot.media.clean import strip_metadata
from bot.storage.files import private_dir, write_private

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"%PDF-", "application/pdf", "pdf"),
    (b"OggS", "audio/ogg", "ogg"),  # voice notes
)


class RejectedFile(ValueError):
    """The file is too large, empty, or of a kind pintu does not accept."""


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    declared_type: str | None = None


def sniff(data: bytes) -> tuple[str, str]:
    """MIME type and extension read from the file's first bytes, never from its name."""
    for magic, mime, extension in SIGNATURES:
        if data.startswith(magic):
            return mime, extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    raise RejectedFile("unsupported file type")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file written to media storage, not yet recorded in the database."""

    sha256: str
    path: str  # relative to the media root
    mime_type: str
    size: int
    # The copy without metadata (see `bot.media.clean`); None when there is none.
    clean_path: str | None = None


class MediaStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def store(self, upload: Upload) -> StoredFile:
        """Check and write `upload` as it came, and for a photo a copy without
        its metadata beside it (blocking I/O: call it in a thread)."""
        data = upload.data
        if not data:
            raise RejectedFile("empty file")
        if len(data) > self.max_bytes:
            raise RejectedFile("file too large")
        mime, extension = sniff(data)
        digest = hashlib.sha256(data).hexdigest()
        relative = Path(digest[:2]) / f"{digest}.{extension}"
        self._write(relative, data)
        clean, clean_path = strip_metadata(data, mime), None
        if clean is not None:
            clean_relative = relative.with_name(f"{digest}.clean.{extension}")
            self._write(clean_relative, clean)
            clean_path = str(clean_relative)
        return StoredFile(
            sha256=digest, path=str(relative), mime_type=mime, size=len(data), clean_path=clean_path
        )

    def _write(self, relative: Path, data: bytes) -> None:
        """Write once: a name already taken holds these very bytes (it derives from their hash)."""
        target = self.root / relative
        if not target.exists():
            private_dir(target.parent)
            partial = target.with_suffix(".part")
            write_private(partial, data)
            partial.replace(target)
