"""Course progress: quick-question attempts and completed steps, per student.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner_columns(table: str) -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["schools.id"],
            name=op.f(f"fk_{table}_tenant_id_schools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "question_progress",
        *_owner_columns("question_progress"),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_try", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "user_id",
            "course_id",
            "question_id",
            name=op.f("uq_question_progress_user_id_course_id_question_id"),
        ),
    )
    op.create_index(op.f("ix_question_progress_tenant_id"), "question_progress", ["tenant_id"])

    op.create_table(
        "step_completions",
        *_owner_columns("step_completions"),
        sa.Column("step_id", sa.String(length=100), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "user_id",
            "course_id",
            "step_id",
            name=op.f("uq_step_completions_user_id_course_id_step_id"),
        ),
    )
    op.create_index(op.f("ix_step_completions_tenant_id"), "step_completions", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("step_completions")
    op.drop_table("question_progress")
