"""units: the unit tree, and the unit, assignee and confidentiality of cases

Existing cases and officers belong to no unit (`unit_id` NULL), which reads
as the root unit.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name="fk_units_parent_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("units") as batch_op:
        batch_op.create_index("ix_units_parent_id", ["parent_id"], unique=False)
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("confidential", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_cases_assignee_id", ["assignee_id"], unique=False)
        batch_op.create_index("ix_cases_unit_id", ["unit_id"], unique=False)
        batch_op.create_foreign_key("fk_cases_assignee_id", "officers", ["assignee_id"], ["id"])
        batch_op.create_foreign_key("fk_cases_unit_id", "units", ["unit_id"], ["id"])
    with op.batch_alter_table("officers") as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_officers_unit_id", ["unit_id"], unique=False)
        batch_op.create_foreign_key("fk_officers_unit_id", "units", ["unit_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("officers") as batch_op:
        batch_op.drop_constraint("fk_officers_unit_id", type_="foreignkey")
        batch_op.drop_index("ix_officers_unit_id")
        batch_op.drop_column("unit_id")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_constraint("fk_cases_unit_id", type_="foreignkey")
        batch_op.drop_constraint("fk_cases_assignee_id", type_="foreignkey")
        batch_op.drop_index("ix_cases_unit_id")
        batch_op.drop_index("ix_cases_assignee_id")
        batch_op.drop_column("confidential")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("unit_id")
    op.drop_table("units")
