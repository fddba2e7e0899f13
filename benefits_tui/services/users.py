"""`benefits-tui users`: who may use the PostgreSQL deployment, with which role (RULES §1.10).

A user is a database login holding one of the ``benefits_*`` group roles. Adding and
removing go through SECURITY DEFINER functions the migrations create (the schema owner
holds CREATEROLE; the functions may only be called by ``benefits_admin``), so an admin
needs no database superpowers of their own. SQLite has no logins: there the OS account is
the user and the config file's ``[roles]`` table says what it may do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from benefits_tui.config import Role
from benefits_tui.db.access import GROUP_ROLES, ROLE_OF_GROUP
from benefits_tui.domain.errors import database_message
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.errors import InvalidInput, NotFound, ServiceError
from benefits_tui.services.permissions import Permission, role_label

# What PostgreSQL takes unquoted and a shell user name looks like; the SQL functions
# check the same.
LOGIN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$")


@dataclass(frozen=True, slots=True)
class User:
    """A login and the benefits-tui role it holds."""

    login: str
    role: Role
    can_login: bool


def _require_postgresql(context: ServiceContext) -> None:
    if not context.db.is_postgresql:
        raise ServiceError(
            "users: logins and roles live in PostgreSQL; on SQLite the OS account is the only "
            "user and its role comes from the config file's [roles] table (BENEFITS_TUI_CONFIG)"
        )


def check_login(login: str) -> str:
    """The login name, or :class:`InvalidInput` saying what a login may look like."""
    login = login.strip()
    if not LOGIN_RE.match(login) or login in ROLE_OF_GROUP or login.startswith("pg_"):
        raise InvalidInput(
            {
                "LOGIN": f"{login!r} is not a login name benefits-tui manages (letters, digits, "
                "_ . @ -; starting with a letter or _; at most 63 characters)"
            }
        )
    return login


async def add_user(context: ServiceContext, login: str, role: Role) -> bool:
    """Give ``login`` the role ``role`` (creating the login if needed); True if created."""
    _require_postgresql(context)
    context.require(Permission.MANAGE_USERS)
    login = check_login(login)
    try:
        created = await context.db.run_write(
            lambda session: session.scalar(
                text("SELECT benefits_set_user_role(:login, :group_role)"),
                {"login": login, "group_role": GROUP_ROLES[role]},
            )
        )
    except DBAPIError as exc:
        raise ServiceError(f"users add {login}: {database_message(exc)}") from None
    return bool(created)


async def remove_user(context: ServiceContext, login: str) -> None:
    """Take every benefits-tui role from ``login`` (the login itself stays in PostgreSQL)."""
    _require_postgresql(context)
    context.require(Permission.MANAGE_USERS)
    login = check_login(login)
    if login == context.actor:
        raise ServiceError(
            f"users remove {login}: that is you; another admin can remove your login"
        )
    try:
        removed = await context.db.run_write(
            lambda session: session.scalar(
                text("SELECT benefits_remove_user(:login)"), {"login": login}
            )
        )
    except DBAPIError as exc:
        raise ServiceError(f"users remove {login}: {database_message(exc)}") from None
    if not removed:
        raise NotFound(f"{login} holds no benefits-tui role")


_MEMBERS = text(
    """
    SELECT u.rolname AS login, g.rolname AS group_role, u.rolcanlogin AS can_login
    FROM pg_auth_members m
    JOIN pg_roles g ON g.oid = m.roleid
    JOIN pg_roles u ON u.oid = m.member
    WHERE g.rolname = ANY(:groups) AND NOT (u.rolname = ANY(:groups))
    ORDER BY u.rolname
    """
)


async def list_users(context: ServiceContext) -> list[User]:
    """Every login holding a benefits-tui role (its most powerful one), by name."""
    _require_postgresql(context)
    context.require(Permission.MANAGE_USERS)
    async with context.db.read() as session:
        rows = (await session.execute(_MEMBERS, {"groups": list(GROUP_ROLES.values())})).all()
    order = list(GROUP_ROLES)  # most powerful first
    best: dict[str, User] = {}
    for row in rows:
        role = ROLE_OF_GROUP[row.group_role]
        held = best.get(row.login)
        if held is None or order.index(role) < order.index(held.role):
            best[row.login] = User(row.login, role, bool(row.can_login))
    return list(best.values())


def describe(user: User) -> str:
    """One line for people: ``alice  HR``."""
    return f"{user.login}  {role_label(user.role)}" + ("" if user.can_login else " (cannot log in)")
