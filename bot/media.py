"""Storing citizens' files: content-addressed, hashed on receipt, kept unaltered."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

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


class MediaStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def store(self, upload: Upload) -> StoredFile:
        """Check and write `upload` (blocking I/O: call it in a thread)."""
        data = upload.data
        if not data:
            raise RejectedFile("empty file")
        if len(data) > self.max_bytes:
            raise RejectedFile("file too large")
        mime, extension = sniff(data)
        digest = hashlib.sha256(data).hexdigest()
        relative = Path(digest[:2]) / f"{digest}.{extension}"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(target)
        return StoredFile(sha256=digest, path=str(relative), mime_type=mime, size=len(data))
