"""`benefits-tui db ...`: schema upgrades and demo data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import run_with_context
from benefits_tui.domain.wording import plural

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext


@click.group()
def db() -> None:
    """Manage the database."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the schema to the newest version (safe to run again)."""
    from benefits_tui.db.migrate import upgrade
    from benefits_tui.db.revision import head_revision

    async def body(context: ServiceContext) -> bool:
        return await upgrade(context.db)

    changed = run_with_context(ctx, body, migrate=False, create=True)
    state = "upgraded to" if changed else "already at"
    click.echo(f"Database {state} revision {head_revision()}.")


@db.command("seed")
@click.option(
    "--employees",
    "count",
    type=click.IntRange(1, 1_000_000),
    default=500,
    show_default=True,
    help="How many employees (E000001 upwards).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed; the same seed and count give the same people.",
)
@click.pass_context
def db_seed(ctx: click.Context, count: int, seed: int) -> None:
    """Add deterministic, realistic demo employees (existing ones are kept)."""
    from benefits_tui.services.seed import seed_employees

    async def body(context: ServiceContext) -> int:
        result = await seed_employees(context, count, seed)
        return result.inserted

    inserted = run_with_context(ctx, body)
    click.echo(
        f"Seeded {plural(inserted, 'new employee')} ({count - inserted:,} were already there)."
    )
