"""sla: the clocks of each case, SLA alerts, and the status history of applications

A case keeps the due and met times of its clocks (`bot.domain.sla`) and, for
queries, the clock running now (`sla_clock`, `sla_next_due_at`,
`sla_soon_at`) and whether any clock was met late (`sla_missed`). Open cases
already stored run their first-response clock toward their `sla_due_at`.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TIMES = (
    "first_response_at",
    "follow_up_due_at",
    "followed_up_at",
    "resolution_due_at",
    "resolved_at",
    "waiting_since",
    "sla_next_due_at",
    "sla_soon_at",
)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        for name in TIMES:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_clock", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sla_missed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_cases_sla_next_due_at", ["sla_next_due_at"], unique=False)
    op.execute(
        "UPDATE cases SET sla_clock = 'first_response', sla_next_due_at = sla_due_at "
        "WHERE sla_due_at IS NOT NULL AND status IN ('new', 'in_progress', 'waiting_citizen')"
    )
    op.create_table(
        "sla_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("clock", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("raised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_sla_alerts_case_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "clock", "due_at"),
    )
    with op.batch_alter_table("sla_alerts") as batch_op:
        batch_op.create_index("ix_sla_alerts_raised_at", ["raised_at"], unique=False)
    op.create_table(
        "application_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name="fk_application_status_changes_app"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("application_status_changes") as batch_op:
        batch_op.create_index(
            "ix_application_status_changes_application_id", ["application_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("application_status_changes")
    op.drop_table("sla_alerts")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_sla_next_due_at")
        batch_op.drop_column("sla_missed")
        batch_op.drop_column("sla_clock")
        for name in reversed(TIMES):
            batch_op.drop_column(name)
