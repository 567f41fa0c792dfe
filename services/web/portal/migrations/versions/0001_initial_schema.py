"""Initial schema: schools, users, submissions, achievement awards and the EXP ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str) -> sa.Column:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    return sa.Column(name, json_type, nullable=True)


def _tenant_id(table: str) -> list:
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["schools.id"],
            name=op.f(f"fk_{table}_tenant_id_schools"),
            ondelete="CASCADE",
        ),
    ]


def _user_id(table: str) -> list:
    return [
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint("slug", name=op.f("uq_schools_slug")),
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant_id("users"),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        sa.CheckConstraint(
            "role IN ('student', 'instructor', 'school_admin', 'platform_admin')",
            name=op.f("ck_users_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_users_tenant_id_email")),
    )
    op.create_index(op.f("ix_users_tenant_id"), "users", ["tenant_id"])

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant_id("submissions"),
        *_user_id("submissions"),
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.Column("lab_id", sa.String(length=100), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("entrypoint", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=40), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("gradable", sa.Boolean(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        _json("checks"),
        _json("output"),
        _json("measurements"),
        _json("times"),
        _timestamp("created_at"),
        _timestamp("graded_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'graded')", name=op.f("ck_submissions_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
    )
    op.create_index(op.f("ix_submissions_tenant_id"), "submissions", ["tenant_id"])
    op.create_index(
        op.f("ix_submissions_tenant_id_user_id_lab_id"),
        "submissions",
        ["tenant_id", "user_id", "lab_id"],
    )
    op.create_index(
        op.f("ix_submissions_status_created_at"), "submissions", ["status", "created_at"]
    )

    op.create_table(
        "achievement_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant_id("achievement_awards"),
        *_user_id("achievement_awards"),
        sa.Column("achievement_id", sa.String(length=100), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        _timestamp("awarded_at"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_achievement_awards_submission_id_submissions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement_awards")),
        sa.UniqueConstraint(
            "user_id",
            "achievement_id",
            name=op.f("uq_achievement_awards_user_id_achievement_id"),
        ),
    )
    op.create_index(op.f("ix_achievement_awards_tenant_id"), "achievement_awards", ["tenant_id"])

    op.create_table(
        "exp_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant_id("exp_entries"),
        *_user_id("exp_entries"),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exp_entries")),
        sa.UniqueConstraint(
            "user_id", "source_key", name=op.f("uq_exp_entries_user_id_source_key")
        ),
    )
    op.create_index(op.f("ix_exp_entries_tenant_id"), "exp_entries", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("exp_entries")
    op.drop_table("achievement_awards")
    op.drop_table("submissions")
    op.drop_table("users")
    op.drop_table("schools")
