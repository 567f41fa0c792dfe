"""Submissions keep what the grader says the portal should show: findings, diagnoses, charts.

GradeResult version 2 carries them, so the portal no longer reads lab-specific measurements
(services/contract/contract/messages.py). Submissions graded before keep their measurements
and show no chart or diagnosis: the portal cannot compute them without knowing the lab.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    # A plain ALTER TABLE ... ADD COLUMN on both backends: SQLite's batch mode would copy the
    # table, and dropping the old one would cascade to the rows that reference it.
    op.add_column("submissions", sa.Column("analysis", json_type, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("analysis")
