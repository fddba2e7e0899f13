"""Alembic environment: runs on the connection handed over by :mod:`benefits_tui.db.migrate`."""

from __future__ import annotations

from alembic import context

from benefits_tui.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic path is supported
    raise RuntimeError("run migrations with `benefits-tui db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
context.run_migrations()
