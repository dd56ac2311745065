"""faq entries, seeded with the shipped sample

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:00:00

The seed reads `bot/data/faq.json` as it is when the migration runs and maps
it to this revision's columns itself, so later changes to `bot.services.faq` cannot
change what this migration does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SHIPPED = Path(__file__).resolve().parents[3] / "data" / "faq.json"


def upgrade() -> None:
    table = op.create_table(
        "faq_entries",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, shipped_rows(datetime.now(UTC)))


def shipped_rows(now: datetime) -> list[dict[str, object]]:
    entries = json.loads(SHIPPED.read_text(encoding="utf-8"))["entries"]
    return [
        {
            "id": entry["id"],
            "title": json.dumps(entry["title"], ensure_ascii=False),
            "questions": json.dumps(entry["questions"], ensure_ascii=False),
            "answer": json.dumps(entry["answer"], ensure_ascii=False),
            "sample": bool(entry.get("sample", False)),
            "updated_at": now,
        }
        for entry in entries
    ]


def downgrade() -> None:
    op.drop_table("faq_entries")
