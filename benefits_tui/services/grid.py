"""What the employee grid shows and acts on, as plain data: a tab's filter, one row, a
selection.

Standard library only (RULES §5): the app draws its first rows with these before SQLAlchemy and
the services are imported (:mod:`benefits_tui.services.first_page`). ``queries`` and
``sync.requests`` re-export them, where they are used with the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from benefits_tui.domain.states import Phase, SyncState

FIRST_PAGE_PROBE = 5000  # employees (in number order) looked at for a tab's first page


@dataclass(frozen=True)
class EmployeeFilter:
    """A tab and a search: what the grid shows and what "select all" means."""

    state: SyncState | None = None
    search: str = ""
    current_only: bool = True


@dataclass(frozen=True)
class EmployeeRow:
    """One grid row."""

    id: int
    employee_number: str
    forenames: str
    surname: str
    email: str | None
    department: str | None
    benefit_level: str | None
    state: SyncState
    phase: Phase | None
    reason: str | None
    account_id: str | None
    requested_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    stuck: bool
    leave_date: dt.date | None = None

    @property
    def name(self) -> str:
        return f"{self.forenames} {self.surname}".strip()

    @property
    def status_text(self) -> str:
        """The phase (In progress) or the reason (Failed) shown in the grid."""
        if self.state is SyncState.FAILED:
            return self.reason or "Failed"
        if self.state is SyncState.IN_PROGRESS:
            return waiting_for(self.phase, self.next_attempt_at)
        if self.state is SyncState.SUCCESSFUL:
            return self.reason or "Synced"
        return ""


def waiting_for(phase: Phase | None, next_attempt_at: dt.datetime | None) -> str:
    """What an In progress record waits for, for people (RULES §1.11)."""
    label = phase.label if phase else Phase.QUEUED.label
    if phase in (Phase.RETRYING, Phase.THROTTLED, Phase.WAITING_JOB) and next_attempt_at:
        return f"{label}; next at {next_attempt_at.astimezone().strftime('%H:%M:%S')}"
    return label


@dataclass(frozen=True)
class Selection:
    """Who an action applies to: ticked IDs, or all in a filter minus unticked ones."""

    ids: frozenset[int] | None = None
    filter: EmployeeFilter | None = None
    excluded: frozenset[int] = frozenset()

    @classmethod
    def of(cls, ids: Iterable[int]) -> Selection:
        return cls(ids=frozenset(ids))

    @classmethod
    def all_in(cls, flt: EmployeeFilter, excluded: Iterable[int] = ()) -> Selection:
        return cls(filter=flt, excluded=frozenset(excluded))


def is_stuck(state: SyncState, requested_at: dt.datetime | None, threshold: dt.datetime) -> bool:
    """In progress since before ``threshold`` (RULES §1.11); the SQL twin: :func:`stuck_count`."""
    return state is SyncState.IN_PROGRESS and requested_at is not None and requested_at < threshold
