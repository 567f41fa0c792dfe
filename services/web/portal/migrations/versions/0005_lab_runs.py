"""Lab runs: a student's ungraded "Run" of a lab's code (never a submission).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    op.create_table(
        "lab_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.Column("lab_id", sa.String(length=100), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("output", json_type, nullable=True),
        sa.Column("measurements", json_type, nullable=True),
        sa.Column("times", json_type, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'finished')", name=op.f("ck_lab_runs_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["schools.id"],
            name=op.f("fk_lab_runs_tenant_id_schools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_lab_runs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_runs")),
    )
    with op.batch_alter_table("lab_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lab_runs_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lab_runs_tenant_id_user_id_created_at"),
            ["tenant_id", "user_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("lab_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lab_runs_tenant_id_user_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_lab_runs_tenant_id"))

    op.drop_table("lab_runs")
