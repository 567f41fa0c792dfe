"""Student groups (class sections such as "Year 10 B") and their members.

A school's staff name groups and put students in them (a student may be in several);
the gradebook filters by group. Nothing existing changes: two new tables.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "student_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["schools.id"],
            name=op.f("fk_student_groups_tenant_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_groups")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_student_groups_tenant_id_name")),
    )
    with op.batch_alter_table("student_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_student_groups_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["student_groups.id"],
            name=op.f("fk_group_members_group_id_student_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["schools.id"],
            name=op.f("fk_group_members_tenant_id_schools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_members")),
        sa.UniqueConstraint("group_id", "user_id", name=op.f("uq_group_members_group_id_user_id")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_members_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_group_members_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_group_members_tenant_id"))
    op.drop_table("group_members")
    with op.batch_alter_table("student_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_student_groups_tenant_id"))
    op.drop_table("student_groups")
