"""Values the Benefits platform client returns (immutable dataclasses parsed from JSON)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field the platform did not accept."""

    field: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Problem:
    """An RFC 9457 problem document, as the platform answers errors."""

    status: int
    code: str
    title: str
    detail: str
    errors: tuple[FieldError, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, status: int | None = None) -> Problem:
        """Parse a problem body leniently (missing members become empty strings)."""
        errors = data.get("errors") or ()
        parsed = tuple(
            FieldError(str(e.get("field", "")), str(e.get("code", "")), str(e.get("message", "")))
            for e in errors
            if isinstance(e, Mapping)
        )
        raw_status = data.get("status")
        return cls(
            status=raw_status
            if isinstance(raw_status, int) and not isinstance(raw_status, bool)
            else (status or 0),
            code=str(data.get("code") or ""),
            title=str(data.get("title") or ""),
            detail=str(data.get("detail") or ""),
            errors=parsed,
        )

    def summary(self) -> str:
        """A one-line human reason, naming the fields at fault."""
        if self.errors:
            return "; ".join(f"{e.field}: {e.message or e.code}" for e in self.errors)
        return self.detail or self.title or self.code or f"HTTP {self.status}"


@dataclass(frozen=True, slots=True)
class Account:
    """A Benefits account (RULES §2). ``raw`` keeps the whole JSON, including extra fields."""

    id: str
    external_id: str | None = None
    email: str | None = None
    title: str | None = None
    forenames: str | None = None
    surname: str | None = None
    date_of_birth: str | None = None
    gender: str | None = None
    annual_pay: float | None = None
    pay_basis: str | None = None
    pay_frequency: str | None = None
    benefit_level: str | None = None
    job_title: str | None = None
    address: Mapping[str, Any] | None = field(default=None, hash=False)
    status: str = "active"
    leave_date: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        """Build from an account object; raises ValueError when it has no string ``id``."""
        account_id = data.get("id")
        if not isinstance(account_id, str) or not account_id:
            raise ValueError("account has no id")
        address = data.get("address")
        return cls(
            id=account_id,
            external_id=_opt_str(data.get("external_id")),
            email=_opt_str(data.get("email")),
            title=_opt_str(data.get("title")),
            forenames=_opt_str(data.get("forenames")),
            surname=_opt_str(data.get("surname")),
            date_of_birth=_opt_str(data.get("date_of_birth")),
            gender=_opt_str(data.get("gender")),
            annual_pay=_opt_pay(data.get("annual_pay")),
            pay_basis=_opt_str(data.get("pay_basis")),
            pay_frequency=_opt_str(data.get("pay_frequency")),
            benefit_level=_opt_str(data.get("benefit_level")),
            job_title=_opt_str(data.get("job_title")),
            address=dict(address) if isinstance(address, Mapping) else None,
            status=_opt_str(data.get("status")) or "active",
            leave_date=_opt_str(data.get("leave_date")),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class AccountPage:
    """One page of ``GET /v1/accounts``: its accounts, and the cursor of the next page.

    ``next_cursor`` is None on the last page; pass it back unchanged (it is opaque).
    """

    accounts: tuple[Account, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Job:
    """An asynchronous write the platform accepted with 202 and finishes later."""

    id: str
    status: str  # pending | in_progress | complete | error
    account_id: str | None = None
    error: Problem | None = None

    @property
    def finished(self) -> bool:
        """True once the job is ``complete`` or ``error``."""
        return self.status in ("complete", "error")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        """Build from a job object; raises ValueError when id or status is unusable."""
        job_id = data.get("id")
        status = data.get("status")
        if not isinstance(job_id, str) or not job_id:
            raise ValueError("job has no id")
        if status not in ("pending", "in_progress", "complete", "error"):
            raise ValueError(f"job has an unknown status {status!r}")
        error = data.get("error")
        return cls(
            id=job_id,
            status=status,
            account_id=_opt_str(data.get("account_id")),
            error=Problem.from_json(error) if isinstance(error, Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The answer to a write: 200/201 carry the account, 202 a job to follow."""

    status_code: int
    account: Account | None
    job: Job | None
    replayed: bool = False

    @property
    def accepted(self) -> bool:
        """True when the platform answered 202 and the change is still a job."""
        return self.job is not None


@dataclass(frozen=True, slots=True)
class BenefitLevelInfo:
    """A Benefits Level the platform offers."""

    code: str
    name: str


def _opt_pay(value: object) -> float | None:
    """A pay read back as a finite float; ValueError for a number no float holds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        pay = float(value)
    except OverflowError:
        raise ValueError("annual_pay is too large to be a pay") from None
    if not math.isfinite(pay):
        raise ValueError("annual_pay is not a finite number")
    return pay


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
