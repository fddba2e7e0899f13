"""Who is connected, as PostgreSQL says (RULES §1.10): the login and its benefits-tui role.

On PostgreSQL the acting user *is* the login (``session_user``) and its role is its
membership of one of the group roles the migrations create (:data:`GROUP_ROLES`). The
schema owner and superusers count as admins. SQLite has no logins: there the settings say.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from benefits_tui.config import Role
from benefits_tui.db.engine import Database

# The cluster-wide group roles (NOLOGIN) that carry the privileges; most powerful first,
# as an admin is also a member of the others.
GROUP_ROLES: dict[Role, str] = {
    Role.ADMIN: "benefits_admin",
    Role.HR: "benefits_hr",
    Role.WORKER: "benefits_worker",
    Role.READ_ONLY: "benefits_readonly",
}
ROLE_OF_GROUP: dict[str, Role] = {group: role for role, group in GROUP_ROLES.items()}


@dataclass(frozen=True, slots=True)
class Identity:
    """The database's answer: the login, and its role (None: no benefits-tui role)."""

    login: str
    role: Role | None
    # Superuser, or owner of the schema's tables (of the schema, before there are any):
    # may migrate and do everything.
    owner: bool


_WHO = text(
    """
    SELECT session_user AS login,
           (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) AS superuser,
           COALESCE((SELECT pg_has_role(session_user, c.relowner, 'USAGE')
                     FROM pg_class c WHERE c.oid = to_regclass('sync_events')),
                    (SELECT pg_has_role(session_user, n.nspowner, 'USAGE')
                     FROM pg_namespace n WHERE n.nspname = current_schema()),
                    false) AS owner,
           ARRAY(SELECT r.rolname FROM pg_roles r
                 WHERE r.rolname = ANY(:groups)
                   AND pg_has_role(session_user, r.oid, 'USAGE')) AS groups
    """
)


async def database_identity(db: Database) -> Identity:
    """Ask PostgreSQL who this connection is and which benefits-tui role it holds."""
    async with db.read() as session:
        row = (await session.execute(_WHO, {"groups": list(GROUP_ROLES.values())})).one()
    owner = bool(row.superuser) or bool(row.owner)
    if owner:
        return Identity(row.login, Role.ADMIN, True)
    held = set(row.groups or ())
    for role, group in GROUP_ROLES.items():  # most powerful first
        if group in held:
            return Identity(row.login, role, False)
    return Identity(row.login, None, False)
