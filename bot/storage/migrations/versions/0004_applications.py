"""application statuses: applications, lookup attempts, subscriptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:00:00

Lookup attempts are keyed by the kind and number a citizen typed, not by an
application, so a number that does not exist is throttled exactly like one
that does (DESIGN §6).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("applicant_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "number"),
    )
    op.create_table(
        "application_lookups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("application_lookups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_application_lookups_contact", ["contact_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_application_lookups_number", ["kind", "number", "created_at"], unique=False
        )
    op.create_table(
        "application_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "application_id"),
    )
    with op.batch_alter_table("application_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_subscriptions_application_id"),
            ["application_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("application_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_subscriptions_application_id"))
    op.drop_table("application_subscriptions")
    with op.batch_alter_table("application_lookups", schema=None) as batch_op:
        batch_op.drop_index("ix_application_lookups_number")
        batch_op.drop_index("ix_application_lookups_contact")
    op.drop_table("application_lookups")
    op.drop_table("applications")
