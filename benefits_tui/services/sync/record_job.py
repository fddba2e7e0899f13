"""One claimed sync record, carried forward step by step (the sync state machine).

Each step reads the employee and the record in a short transaction, makes at most one
platform call outside any transaction, and records the outcome in another short
transaction guarded by the lease's fencing token. The write that is about to be sent (its
idempotency key and body) is committed *before* the call, so a retry after a timeout, a
5xx or a killed process re-sends the same key and body and can never create twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits_tui.config import SyncSettings
from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.fields import email_key
from benefits_tui.domain.retry import RetryPolicy
from benefits_tui.domain.safe_text import clip
from benefits_tui.domain.states import Action, Phase, RequestKind, SyncState
from benefits_tui.platform.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    PermanentError,
    PlatformError,
    ProtocolError,
    Throttled,
    TransientError,
)
from benefits_tui.platform.types import Job, WriteResult
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.history import MAX_TEXT, event
from benefits_tui.services.sync import preflight
from benefits_tui.services.sync.crash import crashpoint
from benefits_tui.services.sync.pacing import HeldBack, Pacer
from benefits_tui.services.sync.payload import account_body, termination_body
from benefits_tui.services.sync.record_writer import (
    AccountTaken,
    Finisher,
    LeaseLost,
    RecordWrite,
    RecordWriter,
)
from benefits_tui.services.sync.reference import PlatformRules

log = logging.getLogger(__name__)

BENEFITS_REJECTED = "Benefits rejected"
MAX_STEPS = 12
MAX_LOOKUP_MISSES = 3
CREATE, UPDATE, TERMINATE = RequestKind.CREATE, RequestKind.UPDATE, RequestKind.TERMINATE
PHASE_OF = {CREATE: Phase.CREATING, UPDATE: Phase.UPDATING, TERMINATE: Phase.TERMINATING}
DONE_ACTION = {CREATE: Action.CREATED, UPDATE: Action.UPDATED, TERMINATE: Action.COVERAGE_ENDED}
JOB_POLL_MAX_SECONDS = 30.0
JOB_POLL_GROWTH = 1.1  # each poll of a slow job waits about a tenth longer than the last


def record_retry_policy(settings: SyncSettings) -> RetryPolicy:
    """How a record retries after transient trouble: backoff with jitter, a time budget."""
    return RetryPolicy(
        base_seconds=settings.backoff_base_seconds,
        max_seconds=max(settings.backoff_max_seconds, settings.backoff_base_seconds),
        jitter=0.5,
        budget_seconds=settings.max_retry_seconds,
    )


def job_poll_policy(settings: SyncSettings) -> RetryPolicy:
    """How often a platform job is polled, and for how long (``job_timeout_seconds``)."""
    return RetryPolicy(
        base_seconds=settings.job_poll_seconds,
        max_seconds=max(JOB_POLL_MAX_SECONDS, settings.job_poll_seconds),
        factor=JOB_POLL_GROWTH,
        budget_seconds=settings.job_timeout_seconds,
    )


def moment(at: dt.datetime) -> str:
    """A time in a reason or history line, for people (local time)."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Claim:
    """A record this worker holds: its fencing token proves the lease is still ours."""

    employee_id: int
    token: int
    owner: str
    # The employee and record as read in the claiming transaction: the first step needs no read.
    employee: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    record: SyncRecord | None = field(default=None, compare=False, repr=False)


def read_claimed(
    session: Session, ids: list[int]
) -> tuple[dict[int, dict[str, Any]], dict[int, SyncRecord]]:
    """The employees and records of just-claimed IDs (inside the claiming transaction)."""
    rows = session.execute(select(*preflight.EMPLOYEE_COLUMNS).where(Employee.id.in_(ids))).all()
    records = session.scalars(select(SyncRecord).where(SyncRecord.employee_id.in_(ids))).all()
    return {row.id: dict(row._mapping) for row in rows}, {
        record.employee_id: record for record in records
    }


class RecordJob:
    """Carries one claimed record forward until it is done or must wait."""

    def __init__(
        self,
        context: ServiceContext,
        claim: Claim,
        pacer: Pacer,
        rules: PlatformRules,
        rng: random.Random,
        *,
        requests: anyio.Semaphore | None = None,
        writer: RecordWriter | None = None,
    ) -> None:
        self.context = context
        self.claim = claim
        self.pacer = pacer
        self.requests = requests  # the worker's bound on platform calls in flight
        self.writer = writer or RecordWriter(
            context.db
        )  # the worker's, to batch with other records
        self.rules = rules
        self.rng = rng
        self.settings = context.settings.sync
        self.retry = record_retry_policy(self.settings)
        self.job_poll = job_poll_policy(self.settings)
        self.actor = context.actor  # who works the record: this process's user (login)
        self.requested_by: str | None = None  # who asked for the sync
        self.employee: dict[str, Any] = {}
        self.record: SyncRecord | None = None

    # ----------------------------------------------------------------- plumbing

    @property
    def now(self) -> dt.datetime:
        return self.context.clock.now()

    async def _load(self) -> None:
        claim = self.claim
        if self.record is None and claim.record is not None and claim.employee is not None:
            self.employee, self.record = dict(claim.employee), claim.record  # read by the claim
            self.requested_by = claim.record.requested_by
            return
        async with self.context.db.read() as session:
            row = (
                await session.execute(
                    select(*preflight.EMPLOYEE_COLUMNS).where(Employee.id == self.claim.employee_id)
                )
            ).one()
            record = await session.get(SyncRecord, self.claim.employee_id)
        assert record is not None
        if record.lease_token != self.claim.token or record.lease_owner != self.claim.owner:
            raise LeaseLost()
        self.employee = dict(row._mapping)
        self.record = record
        self.requested_by = record.requested_by

    async def _save(
        self,
        values: dict[str, Any],
        events: list[dict[str, Any]] = (),  # type: ignore[assignment]
        *,
        release: bool = False,
        finish: bool = False,
    ) -> bool:
        """Write the record (fenced by the lease token) and its history in one transaction,
        renewing the lease unless ``release`` gives it back.

        With ``finish``, the same transaction also marks the record Successful when nothing
        is left to send (see :meth:`_finish`); returns True when it did. Raises
        :class:`LeaseLost`, and :class:`AccountTaken` when ``values`` link an account that
        another employee holds.
        """
        values = dict(values, updated_at=self.now)
        for name in ("reason", "last_error"):  # the platform's words, stored bounded (RULES §1.15)
            if isinstance(values.get(name), str):
                values[name] = clip(values[name], MAX_TEXT)
        if release:
            values.update(lease_owner=None, lease_expires_at=None)
        else:  # renew: a step is bounded by the request deadline, well inside a lease
            values["lease_expires_at"] = self.now + dt.timedelta(
                seconds=self.settings.lease_seconds
            )
        claim = self.claim
        step = RecordWrite(
            claim.employee_id,
            claim.token,
            claim.owner,
            values,
            list(events),
            finish=self._finisher(values) if finish else None,
        )
        return await self.writer.write(step)

    def _finisher(self, values: dict[str, Any]) -> Finisher:
        """Inside the write: if the record is in sync once ``values`` are stored, the values
        and event that make it Successful (the employee's row is read, and on PostgreSQL
        locked, in the same transaction, as HR edits do)."""
        record = self.record
        assert record is not None
        synced = values.get("synced_revision", record.synced_revision)
        ended = values.get("coverage_ended_on", record.coverage_ended_on)
        account_id = values.get("account_id", record.account_id)

        def finish(
            revision: int, leave_date: dt.date | None
        ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
            if revision > synced or (leave_date is not None and ended != leave_date):
                return None  # changed meanwhile (or a termination is due): go round again
            return self._success_values(ended), [
                self._event(Action.SUCCEEDED, answer=f"in sync with Benefits account {account_id}")
            ]

        return finish

    def _success_values(self, coverage_ended_on: dt.date | None) -> dict[str, Any]:
        now = self.now
        return {
            "state": SyncState.SUCCESSFUL.value,
            "phase": None,
            "reason": "Coverage ended" if coverage_ended_on else None,
            "next_attempt_at": None,
            "attempts": 0,
            "last_synced_at": now,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        }

    def _event(self, action: Action, **fields: Any) -> dict[str, Any]:
        return event(
            self.claim.employee_id,
            self.actor,
            action,
            self.now,
            requested_by=self.requested_by,
            **fields,
        )

    async def _fail(
        self,
        reason: str,
        *,
        status_code: int | None = None,
        answer: str | None = None,
        keep_request: bool = False,
        also: dict[str, Any] | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "state": SyncState.FAILED.value,
            "phase": None,
            "reason": reason,
            "next_attempt_at": None,
            **(also or {}),
        }
        if not keep_request:
            values.update(
                request_kind=None,
                idempotency_key=None,
                request_body=None,
                request_revision=None,
                platform_job_id=None,
                link_account_id=None,
                job_accepted_at=None,
            )
        await self._save(
            values,
            [self._event(Action.FAILED, status_code=status_code, answer=answer, reason=reason)],
            release=True,
        )

    async def _retry_later(
        self,
        message: str,
        *,
        status_code: int | None,
        what: str,
        held_until: dt.datetime | None = None,
        quiet: bool = False,
    ) -> None:
        """Transient trouble (RULES §1.3): stay In progress and try again later, until the
        time budget that began with the trouble runs out; then fail with the last reason and
        since when. ``held_until`` (a 429, or another process's hold) is when the platform
        said to come back; otherwise the retry policy's backoff decides. ``quiet`` writes
        no event (a hold met before any call: one event per record per hold is noise)."""
        assert self.record is not None
        now = self.now
        attempts = self.record.attempts + 1
        since = self.record.first_attempt_at or now
        if self.retry.spent(since, now):
            await self._fail(
                f"Benefits unavailable since {moment(since)}: {message} "
                f"(gave up after {attempts} attempts in {_duration(now - since)})",
                status_code=status_code,
                answer=message,
                keep_request=True,  # a later retry must re-send the same key
            )
            return
        if held_until is not None:
            when, phase = held_until, Phase.THROTTLED
        else:
            when, phase = (
                now + dt.timedelta(seconds=self.retry.delay(attempts, self.rng)),
                Phase.RETRYING,
            )
        # The last try is at the budget's end, not a backoff step after it.
        assert self.retry.budget_seconds is not None
        budget = dt.timedelta(seconds=self.retry.budget_seconds)
        when = max(min(when, since + budget), now)
        events = []
        if not quiet:
            events.append(
                self._event(
                    Action.RETRY_SCHEDULED,
                    status_code=status_code,
                    answer=message,
                    reason=f"{what}: next attempt at {moment(when)} (trouble since "
                    f"{moment(since)}; gives up after {_duration(budget)})",
                )
            )
        await self._save(
            {
                "attempts": attempts,
                "first_attempt_at": since,
                "next_attempt_at": when,
                "phase": phase.value,
                "last_error": message,
            },
            events,
            release=True,
        )

    async def _reschedule(self, until: dt.datetime, phase: Phase) -> None:
        await self._save({"next_attempt_at": until, "phase": phase.value}, release=True)

    async def _call(self, coroutine_factory: Any) -> Any:
        """Wait for our turn (shared 429 window, rate limit), then make the call."""
        if self.requests is None:
            return await self.pacer.call(coroutine_factory)
        async with self.requests:
            return await self.pacer.call(coroutine_factory)

    # ----------------------------------------------------------------- the steps

    async def run(self) -> None:
        """Carry the record forward; returns when it is done, waiting, or no longer ours."""
        try:
            for _ in range(MAX_STEPS):
                await self._load()
                if not await self._step():
                    return
            await self._reschedule(self.now, Phase.QUEUED)  # give others a turn
        except LeaseLost:
            log.info("lease on employee %s was taken over", self.claim.employee_id)
        except HeldBack as held:
            # Held back before any call (another process's 429): the budget runs all the same.
            with contextlib.suppress(LeaseLost):
                await self._retry_later(
                    f"the Benefits platform holds requests back until {moment(held.until)}",
                    status_code=None,
                    what="held back",
                    held_until=held.until,
                    quiet=True,
                )
        except Throttled as exc:
            # The pacer has recorded the (capped) window for every process: wait it out.
            until = await self.pacer.blocked_until() or self.now + dt.timedelta(
                seconds=min(exc.retry_after, self.settings.max_hold_seconds)
            )
            await self._retry_later(
                _describe(exc), status_code=exc.status_code, what="rate limited", held_until=until
            )
        except (TransientError, AuthError, ProtocolError) as exc:
            await self._retry_later(
                _describe(exc), status_code=exc.status_code, what="platform call failed"
            )
        except PermanentError as exc:
            # e.g. a look-up that finds two accounts for one email: never guess which.
            await self._fail(
                f"{BENEFITS_REJECTED}: {_reason(exc)}",
                status_code=exc.status_code,
                answer=_describe(exc),
            )

    async def _step(self) -> bool:
        """Do the next thing; True to go on with another step in this claim."""
        record, employee = self.record, self.employee
        assert record is not None
        if record.state != SyncState.IN_PROGRESS.value:
            await self._save({}, release=True)
            return False
        if record.platform_job_id:
            return await self._poll_job()
        if record.request_kind:
            return await self._resend()
        if record.account_id is None and record.link_account_id:
            return await self._link_requested(record.link_account_id)
        if record.account_id is None:
            return await self._first_sync()
        if employee["revision"] > record.synced_revision:
            return await self._send(UPDATE, account_body(employee))
        if (
            employee["leave_date"] is not None
            and record.coverage_ended_on != employee["leave_date"]
        ):
            return await self._send(TERMINATE, termination_body(employee))
        return await self._finish()

    async def _first_sync(self) -> bool:
        """RULES §1.4: look the email up; link to a found account, or create one."""
        assert self.record is not None
        employee = self.employee
        rejection = preflight.check(employee, self.rules, None, linked=False)
        if rejection is not None:
            await self._fail(rejection.reason)
            return False
        if self.record.phase != Phase.LOOKING_UP.value:  # the claim usually set it already
            await self._save({"phase": Phase.LOOKING_UP.value})
        account = await self._call(
            lambda: self.context.platform().find_account_by_email(employee["email"])
        )
        if account is None:
            # The look-up's event is stored with the create's key and body (one transaction).
            looked_up = self._event(
                Action.LOOKED_UP, status_code=200, answer="no account with this email"
            )
            return await self._send(CREATE, account_body(employee), [looked_up])
        return await self._link(account.id, found_by="email")

    async def _link_requested(self, account_id: str) -> bool:
        """HR asked to link an unlinked match (RULES §1.16): the worker links it only once the
        platform confirms that the account exists and holds this employee's email or
        employee number, with the same one-to-one guard as a first sync."""
        try:
            account = await self._call(lambda: self.context.platform().get_account(account_id))
        except NotFoundError as exc:
            return await self._account_gone(account_id, exc)
        employee = self.employee
        same_email = (
            bool(employee["email_key"]) and email_key(account.email) == employee["email_key"]
        )
        if not same_email and account.external_id != employee["employee_number"]:
            await self._fail(
                f"Not linked: Benefits account {account_id} holds neither this employee's email "
                "nor their employee number",
                status_code=200,
                answer=f"found account {account_id}",
            )
            return False
        await self._save({"link_account_id": None})
        return await self._link(account.id, found_by="an unlinked match, confirmed by the platform")

    async def _link(self, account_id: str, *, found_by: str) -> bool:
        """Link to an existing account unless another employee holds it (RULES §1.12)."""
        holder = await self._holder_of(account_id)
        if holder is not None:
            await self._fail(
                f"{BENEFITS_REJECTED}: the Benefits account {account_id} with this email is "
                "already "
                f"linked to {holder}",
                status_code=200,
                answer=f"found account {account_id}",
            )
            return False
        try:
            await self._save(
                {
                    "account_id": account_id,
                    "synced_revision": 0,
                    "lookup_misses": 0,
                    "phase": Phase.UPDATING.value,
                },
                [
                    self._event(
                        Action.LOOKED_UP, status_code=200, answer=f"found account {account_id}"
                    ),
                    self._event(
                        Action.LINKED,
                        answer=f"linked to existing account {account_id} ({found_by})",
                    ),
                ],
            )
        except (IntegrityError, AccountTaken):
            holder = await self._holder_of(account_id) or "another employee"
            await self._fail(
                f"{BENEFITS_REJECTED}: the Benefits account {account_id} is already linked to "
                f"{holder}"
            )
            return False
        return True

    async def _holder_of(self, account_id: str) -> str | None:
        async with self.context.db.read() as session:
            row = (
                await session.execute(
                    select(Employee.employee_number, Employee.forenames, Employee.surname)
                    .join(SyncRecord, SyncRecord.employee_id == Employee.id)
                    .where(
                        SyncRecord.account_id == account_id, Employee.id != self.claim.employee_id
                    )
                )
            ).first()
        return f"{row.employee_number} {row.forenames} {row.surname}" if row else None

    async def _send(
        self, kind: RequestKind, body: dict[str, Any], events: list[dict[str, Any]] | None = None
    ) -> bool:
        """Commit the key and body first, then make the write call."""
        assert self.record is not None
        key = f"{kind}-{self.claim.employee_id}-{uuid.uuid4().hex}"
        events = list(events or ())
        if kind == CREATE:
            events.append(self._event(Action.CREATE_SENT, answer="creating a new Benefits account"))
        await self._save(
            {
                "request_kind": kind.value,
                "idempotency_key": key,
                "request_body": body,
                "request_revision": self.employee["revision"],
                "phase": PHASE_OF[kind].value,
            },
            events,
        )
        return await self._write(kind, key, body, self.employee["revision"])

    async def _resend(self) -> bool:
        """A write whose outcome is unknown: re-send the same key and body (never a new key)."""
        record = self.record
        assert record is not None and record.request_kind and record.idempotency_key
        kind, key, body = (
            RequestKind(record.request_kind),
            record.idempotency_key,
            dict(record.request_body or {}),
        )
        if kind == CREATE and body.get("email"):
            # Past the platform's key retention a replay could create again: look first.
            linked = await self._link_made_account(
                body["email"], "email, after an unconfirmed create"
            )
            if linked is not None:
                return linked
        await self._save({"phase": PHASE_OF[kind].value})
        return await self._write(kind, key, body, record.request_revision or 0)

    async def _account_gone(self, account_id: str | None, exc: NotFoundError) -> bool:
        """The linked account is no longer on the platform: the record fails, saying so."""
        await self._fail(
            f"{BENEFITS_REJECTED}: Benefits account {account_id} no longer exists",
            status_code=exc.status_code,
            answer=_describe(exc),
        )
        return False

    async def _link_made_account(self, email: str, found_by: str, **clear: Any) -> bool | None:
        """A create whose outcome is unknown may have made the account: if the platform has
        one for ``email``, drop the pending request (and ``clear``) and link it (what
        :meth:`_link` returns); None when there is none, so the caller carries on."""
        account = await self._call(lambda: self.context.platform().find_account_by_email(email))
        if account is None:
            return None
        pending = {
            "request_kind": None,
            "idempotency_key": None,
            "request_body": None,
            "request_revision": None,
        }
        await self._save(pending | clear)
        return await self._link(account.id, found_by=found_by)

    async def _write(
        self, kind: RequestKind, key: str, body: dict[str, Any], revision: int
    ) -> bool:
        assert self.record is not None
        client = self.context.platform()
        account_id = self.record.account_id
        try:
            if kind == CREATE:
                result: WriteResult = await self._call(lambda: client.create_account(body, key))
                crashpoint("after_create_sent")
            elif kind == UPDATE:
                assert account_id
                result = await self._call(lambda: client.update_account(account_id, body, key))
            else:
                assert account_id
                result = await self._call(
                    lambda: client.terminate_account(
                        account_id, body["leave_date"], body["reason"], key
                    )
                )
        except ConflictError as exc:
            return await self._conflict(kind, exc)
        except NotFoundError as exc:
            return await self._account_gone(account_id, exc)
        except (AuthError, ProtocolError, TransientError):
            raise
        except PermanentError as exc:
            await self._fail(
                f"{BENEFITS_REJECTED}: {_reason(exc)}",
                status_code=exc.status_code,
                answer=_describe(exc),
            )
            return False
        if result.job is not None:
            crashpoint("after_accepted")
            return await self._accepted(kind, result.job, result.status_code)
        crashpoint("before_success")
        new_account = result.account.id if result.account else None
        return await self._confirmed(
            kind,
            new_account,
            result.status_code,
            revision,
            body,
            answer="replayed answer" if result.replayed else None,
        )

    async def _conflict(self, kind: RequestKind, exc: ConflictError) -> bool:
        assert self.record is not None
        if kind == CREATE and exc.code == "email_in_use":
            # Someone else's create got there first (or the look-up was not yet consistent):
            # our create did not happen, so look again later.
            misses = self.record.lookup_misses + 1
            if misses >= MAX_LOOKUP_MISSES:
                await self._fail(
                    f"{BENEFITS_REJECTED}: email {self.employee['email']} is already used by "
                    "another "
                    "Benefits account",
                    status_code=exc.status_code,
                    answer=_describe(exc),
                )
                return False
            when = self.now + dt.timedelta(seconds=self.retry.delay(misses, self.rng))
            await self._save(
                {
                    "request_kind": None,
                    "idempotency_key": None,
                    "request_body": None,
                    "request_revision": None,
                    "lookup_misses": misses,
                    "next_attempt_at": when,
                    "phase": Phase.RETRYING.value,
                    "last_error": _describe(exc),
                },
                [
                    self._event(
                        Action.RETRY_SCHEDULED,
                        status_code=exc.status_code,
                        answer=_describe(exc),
                        reason="email in use but not found by look-up yet: will look it up again",
                    )
                ],
                release=True,
            )
            return False
        await self._fail(
            f"{BENEFITS_REJECTED}: {_reason(exc)}",
            status_code=exc.status_code,
            answer=_describe(exc),
        )
        return False

    async def _accepted(self, kind: RequestKind, job: Job, status_code: int) -> bool:
        """202: remember the job and wait for it (phase "waiting for the platform")."""
        when = self.now + dt.timedelta(seconds=self.job_poll.delay(1))
        await self._save(
            {
                "platform_job_id": job.id,
                "job_accepted_at": self.now,
                "phase": Phase.WAITING_JOB.value,
                "next_attempt_at": when,
            },
            [
                self._event(
                    Action.ACCEPTED, status_code=status_code, answer=f"accepted as job {job.id}"
                )
            ],
            release=True,
        )
        return False

    async def _poll_job(self) -> bool:
        """Follow a platform job; end the attempt when it outlives ``job_timeout_seconds``.

        A job whose wait ended (``job_accepted_at`` cleared by :meth:`_job_timed_out`) is
        re-read first when the record is synced again; if it is still not finished, a create
        is resolved by email before anything else, so a late job never yields a second
        account (RULES §1.13).
        """
        record = self.record
        assert record is not None and record.platform_job_id
        job_id = record.platform_job_id
        kind = RequestKind(record.request_kind or CREATE)
        try:
            job = await self._call(lambda: self.context.platform().get_job(job_id))
        except NotFoundError:
            # The platform forgot the job: re-send the same request (its key replays; a
            # create looks the email up first, see _resend).
            await self._save({"platform_job_id": None, "job_accepted_at": None})
            return True
        if not job.finished:
            accepted = record.job_accepted_at
            if accepted is None:  # a later attempt after the wait ended: resolve first
                return await self._resume_job(kind, job_id)
            if self.job_poll.spent(accepted, self.now):
                await self._job_timed_out(job_id, accepted)
                return False
            waited = (self.now - accepted).total_seconds()
            await self._save(
                {
                    "next_attempt_at": self.now
                    + dt.timedelta(seconds=self.job_poll.delay_after(waited)),
                    "phase": Phase.WAITING_JOB.value,
                },
                release=True,
            )
            return False
        if job.status == "error":
            problem = job.error
            if kind == CREATE and problem is not None and problem.code == "email_in_use":
                await self._save({"platform_job_id": None})
                return await self._conflict(
                    kind,
                    ConflictError(
                        problem.summary(), status_code=409, code="email_in_use", problem=problem
                    ),
                )
            reason = problem.summary() if problem else "the platform's job ended in error"
            await self._fail(
                f"{BENEFITS_REJECTED}: {reason}",
                status_code=problem.status if problem else None,
                answer=f"job {job.id} error",
            )
            return False
        crashpoint("before_success")
        return await self._confirmed(
            kind,
            job.account_id,
            200,
            record.request_revision or 0,
            dict(record.request_body or {}),
            answer=f"job {job.id} complete",
        )

    async def _job_timed_out(self, job_id: str, accepted: dt.datetime) -> None:
        """The job outlived ``job_timeout_seconds``: fail, keeping the job and the key."""
        await self._fail(
            f"Benefits did not finish job {job_id} within "
            f"{_duration(dt.timedelta(seconds=self.settings.job_timeout_seconds))} "
            f"(accepted at {moment(accepted)}); sync again to re-check it",
            answer=f"job {job_id} still pending",
            keep_request=True,
            also={"job_accepted_at": None},  # the next attempt re-reads the job first
        )

    async def _resume_job(self, kind: RequestKind, job_id: str) -> bool:
        """A timed-out job, still unfinished: link by email if the account exists already
        (a create), else wait for the job again. Never a new create with a new key."""
        record = self.record
        assert record is not None
        body = dict(record.request_body or {})
        if kind == CREATE and body.get("email"):
            linked = await self._link_made_account(
                body["email"], f"email, job {job_id} unfinished", platform_job_id=None
            )
            if linked is not None:
                return linked
        when = self.now + dt.timedelta(seconds=self.job_poll.delay(1))
        await self._save(
            {
                "job_accepted_at": self.now,
                "phase": Phase.WAITING_JOB.value,
                "next_attempt_at": when,
            },
            [
                self._event(
                    Action.RETRY_SCHEDULED,
                    answer=f"job {job_id} still pending",
                    reason=f"waiting again for job {job_id}",
                )
            ],
            release=True,
        )
        return False

    async def _confirmed(
        self,
        kind: RequestKind,
        account_id: str | None,
        status_code: int,
        revision: int,
        body: dict[str, Any],
        *,
        answer: str | None,
    ) -> bool:
        """The platform confirmed the write: record what is now true there."""
        record = self.record
        assert record is not None
        values: dict[str, Any] = {
            "request_kind": None,
            "idempotency_key": None,
            "request_body": None,
            "request_revision": None,
            "platform_job_id": None,
            "job_accepted_at": None,
            "attempts": 0,
            "first_attempt_at": None,
            "last_error": None,
        }
        detail = answer
        if kind == CREATE:
            if not account_id:
                raise _protocol("the platform confirmed a create without an account ID")
            values.update(account_id=account_id, synced_revision=revision)
            detail = f"created account {account_id}" + (f" ({answer})" if answer else "")
        elif kind == UPDATE:
            values.update(synced_revision=max(revision, record.synced_revision))
            detail = f"updated account {record.account_id}" + (f" ({answer})" if answer else "")
        else:
            leave = body.get("leave_date")
            values.update(
                coverage_ended_on=dt.date.fromisoformat(leave)
                if leave
                else self.employee["leave_date"]
            )
            detail = f"coverage ends on {leave}" + (f" ({answer})" if answer else "")
        try:
            # Recording the outcome and, when nothing is left to send, Successful: one write.
            finished = await self._save(
                values,
                [self._event(DONE_ACTION[kind], status_code=status_code, answer=detail)],
                finish=True,
            )
        except (IntegrityError, AccountTaken):
            holder = await self._holder_of(account_id or "") or "another employee"
            await self._fail(
                f"{BENEFITS_REJECTED}: the new Benefits account {account_id} is already linked "
                f"to {holder}"
            )
            return False
        return not finished

    async def _finish(self) -> bool:
        """Nothing left to send: Successful, unless HR changed something meanwhile."""
        return not await self._save({}, finish=True)


def _describe(exc: PlatformError) -> str:
    text = str(exc)
    if exc.status_code and str(exc.status_code) not in text:
        return f"{exc.status_code}: {text}"
    return text


def _duration(span: dt.timedelta) -> str:
    """``45 s``, ``3 min 20 s``, ``1 h 2 min``: how long, for people."""
    if span.total_seconds() < 10:
        return f"{max(span.total_seconds(), 0.0):.1f} s"
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def _reason(exc: PlatformError) -> str:
    if exc.problem is not None:
        return exc.problem.summary()
    return str(exc)


def _protocol(message: str) -> ProtocolError:
    return ProtocolError(message)
