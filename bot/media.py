"""Storing citizens' files: content-addressed, hashed on receipt, kept unaltered."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import MediaRef
from bot.storage.models import Media

media = Media.__table__  # type: ignore[attr-defined]

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


class MediaStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    async def save(
        self, conn: AsyncConnection, *, contact_id: int, upload: Upload, now: datetime
    ) -> MediaRef:
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
        result = await conn.execute(
            insert(media)
            .values(
                contact_id=contact_id,
                sha256=digest,
                path=str(relative),
                mime_type=mime,
                size=len(data),
                created_at=now,
            )
            .returning(media.c.id)
        )
        return MediaRef(media_id=int(result.scalar_one()), mime_type=mime, sha256=digest)
