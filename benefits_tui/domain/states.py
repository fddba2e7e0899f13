"""Sync states (the four tabs), phases of work in progress, and history actions."""

from __future__ import annotations

from enum import StrEnum


class SyncState(StrEnum):
    """Where an employee stands with Benefits (RULES §1.1): one tab each."""

    NOT_SYNCING = "not_syncing"
    IN_PROGRESS = "in_progress"
    SUCCESSFUL = "successful"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def slug(self) -> str:
        """The CLI spelling: ``not-syncing``."""
        return self.value.replace("_", "-")

    @classmethod
    def from_slug(cls, text: str) -> SyncState:
        return cls(text.strip().lower().replace("-", "_").replace(" ", "_"))


STATE_LABELS: dict[SyncState, str] = {
    SyncState.NOT_SYNCING: "Not syncing",
    SyncState.IN_PROGRESS: "In progress",
    SyncState.SUCCESSFUL: "Successful",
    SyncState.FAILED: "Failed",
}
# States with sync work still open: their employees stay current after leaving (RULES §1.1).
OPEN_WORK = (SyncState.IN_PROGRESS.value, SyncState.FAILED.value)


class RequestKind(StrEnum):
    """The write a record sends to the platform (stored while its outcome is unknown)."""

    CREATE = "create"
    UPDATE = "update"
    TERMINATE = "terminate"


class Phase(StrEnum):
    """What an In progress record is waiting for (RULES §1.11)."""

    QUEUED = "queued"
    LOOKING_UP = "looking_up"
    CREATING = "creating"
    WAITING_JOB = "waiting_job"
    UPDATING = "updating"
    TERMINATING = "terminating"
    RETRYING = "retrying"
    THROTTLED = "throttled"

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


PHASE_LABELS: dict[Phase, str] = {
    Phase.QUEUED: "Queued",
    Phase.LOOKING_UP: "Looking up by email",
    Phase.CREATING: "Creating account",
    Phase.WAITING_JOB: "Waiting for platform job",
    Phase.UPDATING: "Sending update",
    Phase.TERMINATING: "Ending coverage",
    Phase.RETRYING: "Retrying after error",
    Phase.THROTTLED: "Rate limited by platform",
}


class Action(StrEnum):
    """Kinds of history event (the audit trail, RULES §1.12)."""

    REQUESTED = "requested"
    HR_REJECTED = "hr_rejected"
    LOOKED_UP = "looked_up"
    LINKED = "linked"
    CREATE_SENT = "create_sent"
    ACCEPTED = "accepted"
    CREATED = "created"
    UPDATE_QUEUED = "update_queued"
    UPDATED = "updated"
    TERMINATION_QUEUED = "termination_queued"
    COVERAGE_ENDED = "coverage_ended"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    EMPLOYEE_ADDED = "employee_added"
    DETAILS_CHANGED = "details_changed"
    LEVEL_ASSIGNED = "level_assigned"
    LEAVER_RECORDED = "leaver_recorded"
    LEASE_RECLAIMED = "lease_reclaimed"

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self, self.value.replace("_", " ").capitalize())


ACTION_LABELS: dict[Action, str] = {
    Action.HR_REJECTED: "HR rejected",
    Action.CREATE_SENT: "Create sent",
    Action.ACCEPTED: "Accepted (async job)",
    Action.LEASE_RECLAIMED: "Resumed after interruption",
}


class CreatedVia(StrEnum):
    """How an employee came into HR (RULES §1.5)."""

    STARTER_WIZARD = "starter_wizard"
    PERSONAL_DETAILS_ONLY = "personal_details_only"
    IMPORT = "import"
    SEED = "seed"
    CLI = "cli"
