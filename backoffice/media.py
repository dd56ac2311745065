"""A case's files as officers get them (DESIGN §6).

A named report's file is served as the citizen sent it, with the
original's SHA-256. An anonymous report's original stays sealed as evidence
— no role, admin included, can download it through the API; officers get
the copy without metadata (GPS, device) that `bot.media.clean` made at
receipt, or nothing when there is none, and instead of the plain SHA-256 a
keyed hash (`evidence_hash`): the same photo sent in a named report would
otherwise show the same SHA-256 beside the reporter's name. Every download
is in the audit log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.cases import AttachmentPublic
from bot.storage.models import Case, Media

log = logging.getLogger(__name__)

DOWNLOAD_PATH = "/api/v1/cases/{ref}/media/{media_id}"


class FileNotInCaseError(LookupError):
    """No file with this id belongs to this case."""


class NoCleanCopyError(LookupError):
    """The file belongs to an anonymous report and has no copy without metadata."""


class FileMissingError(LookupError):
    """The database knows the file, the media directory does not hold it."""


@dataclass(frozen=True, slots=True)
class CaseFile:
    """What to send: one file on disk, with the original's hash."""

    path: Path
    mime_type: str
    shown_hash: str  # of the original, also when the clean copy is sent (`shown_hash`)
    metadata_stripped: bool
    filename: str


def evidence_hash(key: bytes, case: Case, sha256: str) -> str:
    """HMAC-SHA256, under the server's evidence key, of the case's reference and
    the original's SHA-256: it proves the sealed original (whoever holds the key
    recomputes it) yet links the file to no other case, named or anonymous."""
    return hmac.new(key, f"{case.ref}:{sha256}".encode(), hashlib.sha256).hexdigest()


def shown_hash(key: bytes, case: Case, sha256: str) -> str:
    """What officers see of the original: its SHA-256, or for an anonymous report
    the keyed evidence hash."""
    return evidence_hash(key, case, sha256) if case.anonymous else sha256


def attachment(file: Media, case: Case, key: bytes) -> AttachmentPublic:
    """How a file of `case` is listed: with where to get it, if anywhere."""
    assert file.id is not None, "a stored row has an id"
    servable = not case.anonymous or file.clean_path is not None
    return AttachmentPublic(
        id=file.id,
        sha256=None if case.anonymous else file.sha256,
        evidence_hash=evidence_hash(key, case, file.sha256) if case.anonymous else None,
        mime_type=file.mime_type,
        size=file.size,
        created_at=file.created_at,
        metadata_stripped=case.anonymous and file.clean_path is not None,
        download_url=DOWNLOAD_PATH.format(ref=case.ref, media_id=file.id) if servable else None,
    )


async def case_file(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    case: Case,
    media_id: int,
    media_root: Path,
    key: bytes,
    now: datetime,
) -> CaseFile:
    """The file an officer may download, recorded in the audit log.

    Raises `FileNotInCaseError`, `NoCleanCopyError` or `FileMissingError`.
    """
    file = (
        await session.exec(select(Media).where(Media.id == media_id, Media.case_id == case.id))
    ).one_or_none()
    if file is None:
        raise FileNotInCaseError(media_id)
    stored = file.clean_path if case.anonymous else file.path
    if stored is None:
        raise NoCleanCopyError(media_id)
    path = await asyncio.to_thread(_on_disk, media_root, stored)
    if path is None:
        log.warning("media %d of case %s is recorded but not in media storage", media_id, case.ref)
        raise FileMissingError(media_id)
    served = CaseFile(
        path=path,
        mime_type=file.mime_type,
        shown_hash=shown_hash(key, case, file.sha256),
        metadata_stripped=case.anonymous,
        filename=f"{case.ref}-{media_id}{'-clean' if case.anonymous else ''}{path.suffix}",
    )
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.CASE_MEDIA_DOWNLOAD,
        target=case.ref,
        detail={
            "media_id": media_id,
            "hash": served.shown_hash,
            "stripped": case.anonymous,
            # a named reporter's original file: a view of personal data
            "personal_data": not case.anonymous,
        },
        now=now,
    )
    return served


def _on_disk(media_root: Path, stored: str) -> Path | None:
    """The stored file's path, if it is a file inside the media directory."""
    root = media_root.resolve()
    path = (root / stored).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None
