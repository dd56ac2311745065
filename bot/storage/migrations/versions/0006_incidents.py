"""incidents: when it happened, SLA, duplicate links, duty alerts, clean media copies

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(
            sa.Column("occurred_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("occurred_text", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index("ix_cases_sla_due_at", ["sla_due_at"], unique=False)
    with op.batch_alter_table("media") as batch_op:
        batch_op.add_column(
            sa.Column("clean_path", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True)
        )
    op.create_table(
        "case_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("other_case_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["other_case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "other_case_id"),
    )
    with op.batch_alter_table("case_links") as batch_op:
        batch_op.create_index("ix_case_links_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_case_links_other_case_id", ["other_case_id"], unique=False)
    op.create_table(
        "duty_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("desk", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("raised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("next_send_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("location_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    with op.batch_alter_table("duty_alerts") as batch_op:
        batch_op.create_index("ix_duty_alerts_next_send_at", ["next_send_at"], unique=False)


def downgrade() -> None:
    op.drop_table("duty_alerts")
    op.drop_table("case_links")
    with op.batch_alter_table("media") as batch_op:
        batch_op.drop_column("clean_path")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_sla_due_at")
        batch_op.drop_column("sla_due_at")
        batch_op.drop_column("occurred_text")
        batch_op.drop_column("occurred_at")
