"""Writing the audit trail: every change of state leaves an event with its actor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from benefits_tui.db.models import SyncEvent
from benefits_tui.domain.safe_text import clip
from benefits_tui.domain.states import Action

MAX_TEXT = 2000  # characters of any stored text from the platform (RULES §1.15)
_INSERT = insert(SyncEvent.__table__)  # built once: its compiled form is cached and reused


def _clip(text: str | None) -> str | None:
    return None if text is None else clip(text, MAX_TEXT)


def event(
    employee_id: int,
    actor: str,
    action: Action,
    at: dt.datetime,
    *,
    status_code: int | None = None,
    answer: str | None = None,
    reason: str | None = None,
    requested_by: str | None = None,
) -> dict[str, Any]:
    """One history row, ready for a bulk insert.

    ``actor`` is who writes it; ``requested_by`` (the worker's steps) who asked for the
    sync. On PostgreSQL a trigger replaces both with the database's facts: the login, and
    the record's requester (RULES §1.10), so a client cannot sign as someone else.
    """
    return {
        "employee_id": employee_id,
        "actor": actor,
        "requested_by": requested_by,
        "action": action.value,
        "at": at,
        "status_code": status_code,
        "answer": _clip(answer),
        "reason": _clip(reason),
    }


def write_events(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Append events in one statement (inside the caller's write transaction)."""
    batch = list(rows)
    if batch:
        # Core insert: the ORM's bulk path is much slower for large batches.
        session.connection().execute(_INSERT, batch)
