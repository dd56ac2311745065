"""Storing citizens' files: content-addressed, hashed on receipt, kept unaltered.

A file is taken for what its bytes are, never for its name or declared type.
A JPEG, PNG or WebP must also walk whole, segment by segment (the same walk
that makes the copy without metadata, `bot.media.clean`): a file that only
starts like a picture is refused. A file a citizen posted to pintu itself
(the web chat) must be one of those three; files fetched from a platform may
also be GIF, PDF or a voice note (the platform made or checked them).
"""

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


PICTURES = frozenset({"image/jpeg", "image/png", "image/webp"})  # walked whole


class RejectedFile(ValueError):
    """The file is too large, empty, or of a kind pintu does not accept."""


class StorageFailed(Exception):
    """The file could not be written (a full disk, a read-only volume): not the citizen's doing."""


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    declared_type: str | None = None
    posted: bool = False  # sent to pintu itself (the web chat), not fetched from a platform


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
        its metadata beside it (blocking I/O: call it in a thread).

        Raises `RejectedFile` for what the citizen sent, `StorageFailed` when writing fails.
        """
        data = upload.data
        if not data:
            raise RejectedFile("empty file")
        if len(data) > self.max_bytes:
            raise RejectedFile("file too large")
        mime, extension = sniff(data)
        if upload.posted and mime not in PICTURES:
            raise RejectedFile("unsupported file type")
        clean = strip_metadata(data, mime)
        if clean is None and mime in PICTURES:
            raise RejectedFile(f"not a whole {extension.upper()} picture")
        digest = hashlib.sha256(data).hexdigest()
        relative = Path(digest[:2]) / f"{digest}.{extension}"
        clean_path = None
        try:
            self._write(relative, data)
            if clean is not None:
                clean_relative = relative.with_name(f"{digest}.clean.{extension}")
                self._write(clean_relative, clean)
                clean_path = str(clean_relative)
        except OSError as error:
            raise StorageFailed(f"{type(error).__name__} errno {error.errno}") from error
        return StoredFile(
            sha256=digest, path=str(relative), mime_type=mime, size=len(data), clean_path=clean_path
        )

    def _write(self, relative: Path, data: bytes) -> None:
        """Write once: a name already taken holds these very bytes (it derives from their hash)."""
        target = self.root / relative
        if not target.exists():
            private_dir(target.parent)
            partial = target.with_suffix(".part")
            try:
                write_private(partial, data)
                partial.replace(target)
            except OSError:
                partial.unlink(missing_ok=True)  # no half-written file left behind
                raise
