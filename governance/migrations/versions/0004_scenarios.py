"""Saved scenarios: what-ifs of the portfolio kept by name (`governance scenario create`).

A working table, not part of the ledger: rows are created and deleted (no triggers). Committing a
scenario is recorded in the ledger (`selected`, `scenario-committed`), which `verify` covers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("draft_policy", sa.Text(), nullable=True),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_scenarios"),
    )


def downgrade() -> None:
    raise RuntimeError("the ledger is append-only: migrations never go back")
