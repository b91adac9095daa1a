"""Gates: the next gate and current stage of each proposal, and one decision key per gate attempt.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added columns only: the append-only tables (and their triggers) are never rebuilt.
    with op.batch_alter_table("proposals", recreate="never") as batch:
        batch.add_column(sa.Column("gate", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("stage", sa.String(40), nullable=True))
    # "Decided exactly once" lives here, not in Prefect: the second writer for a key fails.
    op.create_table(
        "decision_keys",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_decision_keys"),
    )


def downgrade() -> None:
    raise RuntimeError("the ledger is append-only: migrations never go back")
