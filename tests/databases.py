"""A PostgreSQL database emptied for a run: the tests' fixtures and the benchmarks share it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import create_async_engine


async def empty_public_schema(url: str) -> None:
    """Drop every table of the PostgreSQL database at ``url`` (its ``public`` schema)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            await connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        await engine.dispose()
