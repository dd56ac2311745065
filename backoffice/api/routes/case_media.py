"""A case's files: downloading one (the listing is part of the case, `GET /cases/{ref}`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from backoffice import media
from backoffice.api.deps import CaseDep, CurrentOfficer, RuntimeDep, SessionDep
from backoffice.api.params import RowId

SHA256_HEADER = "X-Original-SHA256"
EVIDENCE_HEADER = "X-Evidence-Hash"  # anonymous reports: the keyed hash (`backoffice.media`)
STRIPPED_HEADER = "X-Metadata-Stripped"

router = APIRouter(
    prefix="/cases",
    tags=["cases"],
    responses={401: {"description": "Missing, invalid or expired token"}},
)
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment; "
        f"`{SHA256_HEADER}` is the SHA-256 of the original as received (for an anonymous "
        f"report `{EVIDENCE_HEADER}`, its keyed evidence hash instead)",
        "content": {"application/octet-stream": {}},
    },
    404: {"description": "No such case, or no such file in this case"},
    409: {"description": "An anonymous report's file without a copy free of metadata"},
}


@router.get("/{ref}/media/{media_id}", response_class=FileResponse, responses=RESPONSES)
async def download_case_file(
    media_id: RowId,
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    case: CaseDep,
) -> FileResponse:
    """Download a file of the case: a named report's original, or for an
    anonymous report only the copy without metadata (the original stays sealed)."""
    try:
        found = await media.case_file(
            session,
            officer=officer,
            case=case,
            media_id=media_id,
            media_root=runtime.settings.media_dir,
            key=runtime.evidence_key,
            now=runtime.clock.now(),
        )
    except media.FileNotInCaseError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"case {case.ref} has no file {media_id}"
        ) from None
    except media.NoCleanCopyError:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"file {media_id} of anonymous case {case.ref} has no copy without metadata, "
            "and the original is sealed as evidence",
        ) from None
    except media.FileMissingError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"file {media_id} is missing from media storage"
        ) from None
    await session.commit()
    return FileResponse(
        found.path,
        media_type=found.mime_type,
        filename=found.filename,
        headers={
            EVIDENCE_HEADER if found.metadata_stripped else SHA256_HEADER: found.shown_hash,
            STRIPPED_HEADER: "true" if found.metadata_stripped else "false",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
