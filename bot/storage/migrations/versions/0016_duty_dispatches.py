"""duty dispatches: alerts raised in a burst reach the duty group grouped

`duty_alerts.announced_at` says when the group was first told of an alert
(None: it waits for the group's next turn); `duty_dispatches` records every
alert message put in the outbox for the group, which alerts it listed and at
which escalation level, so the pace of the group's messages holds across
workers and "acknowledge all" knows what it acknowledges. Alerts stored
already count as announced when they were raised.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("duty_alerts") as batch_op:
        batch_op.add_column(
            sa.Column("announced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.execute("UPDATE duty_alerts SET announced_at = raised_at")
    op.create_table(
        "duty_dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("alert_ids", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("duty_dispatches") as batch_op:
        batch_op.create_index("ix_duty_dispatches_sent_at", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_table("duty_dispatches")
    with op.batch_alter_table("duty_alerts") as batch_op:
        batch_op.drop_column("announced_at")
