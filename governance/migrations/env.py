"""Alembic environment: always run with a connection handed in by `Store.upgrade`."""

from alembic import context

from models.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
