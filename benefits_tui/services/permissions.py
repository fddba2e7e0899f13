"""THE permissions table (RULES §1.10): which role each action needs, and the refusal's words.

Every service checks it (``context.require(Permission.X)``) and the app asks it
(``context.refusal(Permission.X)``) to show a key disabled with its reason, so a rule and
its "you cannot ..." wording live here once. On PostgreSQL the role itself is the database's
answer (the login's membership of the ``benefits_*`` group roles, see
:mod:`benefits_tui.db.access`), and the database's privileges enforce the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from benefits_tui.config_quick import Role


class Permission(StrEnum):
    """Something a user may or may not do."""

    VIEW = "view"
    SYNC = "sync"
    ASSIGN_LEVEL = "assign_level"
    EDIT_EMPLOYEE = "edit_employee"
    ADD_EMPLOYEE = "add_employee"
    RECORD_LEAVER = "record_leaver"
    IMPORT = "import"
    RECONCILE = "reconcile"
    SEND = "send"
    SEE_INTEGRATION = "see_integration"
    TEST_CONNECTION = "test_connection"
    CLEAR_HOLD = "clear_hold"
    CHANGE_SETTINGS = "change_settings"
    MANAGE_USERS = "manage_users"


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may do an action, and how a refusal names it ("... cannot <wording>")."""

    wording: str
    roles: frozenset[Role]


_EVERYONE = frozenset(Role)
_HR = frozenset({Role.HR, Role.ADMIN})
_ADMIN = frozenset({Role.ADMIN})

PERMISSIONS: dict[Permission, Rule] = {
    Permission.VIEW: Rule("view employees", _EVERYONE),
    Permission.SYNC: Rule("sync employees to Benefits", _HR),
    Permission.ASSIGN_LEVEL: Rule("assign Benefits Levels", _HR),
    Permission.EDIT_EMPLOYEE: Rule("change employee details", _HR),
    Permission.ADD_EMPLOYEE: Rule("add employees", _HR),
    Permission.RECORD_LEAVER: Rule("record leavers", _HR),
    Permission.IMPORT: Rule("import employees", _HR),
    Permission.RECONCILE: Rule("reconcile with Benefits", _HR),
    # Sending (working the queue, calling the platform with its token) is the worker's job.
    # On SQLite the one OS account is its own worker: see ``embedded`` in :func:`allowed`.
    Permission.SEND: Rule("send syncs to the platform", frozenset({Role.WORKER, Role.ADMIN})),
    Permission.SEE_INTEGRATION: Rule("see the integration settings", _ADMIN),
    Permission.TEST_CONNECTION: Rule("test the connection", _ADMIN),
    Permission.CLEAR_HOLD: Rule("clear the platform's hold", _ADMIN),
    Permission.CHANGE_SETTINGS: Rule("change the admin settings", _ADMIN),
    Permission.MANAGE_USERS: Rule("manage users", _ADMIN),
}

ROLE_LABELS: dict[Role, str] = {
    Role.READ_ONLY: "read-only",
    Role.HR: "HR",
    Role.ADMIN: "admin",
    Role.WORKER: "worker",
}

# The CLI spelling of each role (`users add LOGIN --role read-only`).
ROLE_SLUGS: dict[str, Role] = {
    "read-only": Role.READ_ONLY,
    "hr": Role.HR,
    "admin": Role.ADMIN,
    "worker": Role.WORKER,
}


def role_label(role: Role) -> str:
    """How a role is shown to people: ``read-only``, ``HR``, ``admin``, ``worker``."""
    return ROLE_LABELS[role]


def allowed(role: Role, permission: Permission, *, embedded: bool = False) -> bool:
    """True if ``role`` may do ``permission``.

    ``embedded`` (SQLite, one OS account): an HR user's own process also sends the syncs
    it queued, as there is no separate worker login to hand them to.
    """
    if embedded and permission is Permission.SEND and role is Role.HR:
        return True
    return role in PERMISSIONS[permission].roles


def refusal(
    actor: str, role: Role, permission: Permission, *, embedded: bool = False
) -> str | None:
    """The one-line "you cannot ..." message, or None when allowed."""
    if allowed(role, permission, embedded=embedded):
        return None
    label = ROLE_LABELS[role]
    article = "an" if label[0].lower() in "aeiou" or label == "HR" else "a"
    return f"{actor} is {article} {label} user and cannot {PERMISSIONS[permission].wording}"
