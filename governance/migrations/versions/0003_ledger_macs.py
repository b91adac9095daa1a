"""Ledger MACs: each record appended with the ledger key gets its MAC here (append-only, like the ledger).

A separate table, not a column of `ledger`: the ledger's hashed columns stay as they were, and a ledger
written before its key existed can be sealed afterwards with one row (the MAC of its head record), which
covers every record before it through the hash chain. An existing database gains an empty table: its
records are reported as not authenticated until they are sealed (`governance keys seal`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_macs",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_macs"),
    )
    # The same guard as the ledger's (0001): UPDATE, DELETE and TRUNCATE are refused.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER ledger_macs_append_only BEFORE UPDATE OR DELETE ON ledger_macs "
            "FOR EACH ROW EXECUTE FUNCTION governance_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER ledger_macs_no_truncate BEFORE TRUNCATE ON ledger_macs "
            "FOR EACH STATEMENT EXECUTE FUNCTION governance_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_macs_no_{action.lower()} BEFORE {action} ON ledger_macs "
                f"BEGIN SELECT RAISE(ABORT, 'governance: {action} on ledger_macs is refused: "
                "the table is append-only'); END"
            )


def downgrade() -> None:
    raise RuntimeError("the ledger is append-only: migrations never go back")
