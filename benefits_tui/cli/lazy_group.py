"""A click group whose subcommands are imported only when they are run or listed.

Importing every command (and through them Textual, SQLAlchemy, Alembic, httpx) before parsing
the arguments made ``benefits-tui --version`` take most of a second; scripts and cron pay that
on every call. See click's documentation, "Lazily loading subcommands".
"""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    """A group whose subcommands are named ``"package.module:attribute"`` and imported on use.

    ``--help`` imports each command module to read its one-line help, so a command module
    imports only click and the standard library at the top, and what its body uses inside
    the body (``tests/cli/test_lazy_imports.py`` checks it).
    """

    def __init__(
        self, *args: object, lazy_subcommands: dict[str, str] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_subcommands: dict[str, str] = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy_subcommands.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command
