"""`benefits-tui users add|list|remove`: PostgreSQL logins and their roles (RULES §1.10, 4)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import pass_services

if TYPE_CHECKING:  # imported when a command runs, not for --help (see cli/main.py)
    from benefits_tui.services.context import ServiceContext

# permissions.ROLE_SLUGS, spelled here so that --help imports no settings (a test keeps them equal)
ROLE_CHOICES = click.Choice(["read-only", "hr", "admin", "worker"])


@click.group()
def users() -> None:
    """Who may use the PostgreSQL deployment, and with which role (admins only)."""


@users.command("add")
@click.argument("login")
@click.option("--role", "role_slug", type=ROLE_CHOICES, required=True, help="The role to hold.")
@pass_services
async def users_add(context: ServiceContext, login: str, role_slug: str) -> None:
    """Give LOGIN a role (read-only, hr, admin or worker), creating the login if needed.

    A login holds one role: adding it again with another role replaces the old one.
    """
    from benefits_tui.services.permissions import ROLE_SLUGS, role_label
    from benefits_tui.services.users import add_user

    role = ROLE_SLUGS[role_slug]
    created = await add_user(context, login, role)
    if created:
        click.echo(
            f"{login}: login created with the {role_label(role)} role. It logs in by peer over "
            "the Unix socket, or with a password it sets itself (psql: \\password) or the "
            "schema owner sets."
        )
    else:
        click.echo(f"{login} now has the {role_label(role)} role.")


@users.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help='Print JSON: [{"login", "role", "can_login"}].'
)
@pass_services
async def users_list(context: ServiceContext, as_json: bool) -> None:
    """Every login holding a benefits-tui role."""
    from benefits_tui.services.permissions import ROLE_SLUGS
    from benefits_tui.services.users import describe, list_users

    found = await list_users(context)
    if as_json:
        slug_of = {role: slug for slug, role in ROLE_SLUGS.items()}
        click.echo(
            json.dumps(
                [
                    {"login": user.login, "role": slug_of[user.role], "can_login": user.can_login}
                    for user in found
                ],
                ensure_ascii=False,
            )
        )
        return
    if not found:
        click.echo("No login holds a benefits-tui role yet: benefits-tui users add LOGIN --role hr")
    for user in found:
        click.echo(describe(user))


@users.command("remove")
@click.argument("login")
@pass_services
async def users_remove(context: ServiceContext, login: str) -> None:
    """Take LOGIN's benefits-tui role away (the PostgreSQL login itself is kept)."""
    from benefits_tui.services.users import remove_user

    await remove_user(context, login)
    click.echo(f"{login} can no longer use benefits-tui (the login stays: DROP ROLE deletes it).")
