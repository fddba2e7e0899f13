"""A finished reconciliation's summary, as the status line and ``status --json`` show it.

Apart from :mod:`benefits_tui.services.reconcile.store` (which reads and writes runs) so that
``status``'s quick path shares it without importing SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from benefits_tui.services.reconcile.findings import DriftKind


@dataclass(frozen=True)
class RunSummary:
    """A finished reconciliation: when, how much was compared, how much differs."""

    id: int
    actor: str
    started_at: dt.datetime
    finished_at: dt.datetime
    checked_employees: int
    platform_accounts: int
    platform_calls: int
    counts: dict[DriftKind, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def counts_json(self) -> dict[str, int]:
        """Every kind, with zeros, in the order of :class:`DriftKind`."""
        return {kind.value: self.counts.get(kind, 0) for kind in DriftKind}


@dataclass(frozen=True)
class LastReconciliation:
    """What the status line and `status --json` show: the last finished run, and the error of
    a later run that failed (if any)."""

    summary: RunSummary | None
    failed_at: dt.datetime | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        summary = self.summary
        return {
            "checked_at": summary.finished_at.isoformat() if summary else None,
            "drift": summary.total if summary else None,
            "counts": summary.counts_json() if summary else None,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "error": self.error,
        }


def run_summary(
    run_id: int,
    actor: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    checked_employees: int,
    platform_accounts: int,
    platform_calls: int,
    counts: dict[str, Any] | None,
) -> RunSummary:
    """A finished run as stored; counts of kinds this program does not know are left out."""
    known: dict[DriftKind, int] = {}
    for key, value in (counts or {}).items():
        if key in DriftKind.__members__.values() and isinstance(value, int):
            known[DriftKind(key)] = value
    return RunSummary(
        id=run_id,
        actor=actor,
        started_at=started_at,
        finished_at=finished_at,
        checked_employees=checked_employees,
        platform_accounts=platform_accounts,
        platform_calls=platform_calls,
        counts=known,
    )
