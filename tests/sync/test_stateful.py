"""A Hypothesis state machine over the sync engine (RULES §1.3, 1.4, 1.12).

Random interleavings of: users requesting syncs, a worker carrying records forward, a
worker dying mid-record (at each crash point) and leaving its lease to expire, time passing,
the platform's faults and async share changing, and HR changing emails (to fresh ones, to a
colleague's, to one a pre-existing account holds, to an invalid one). After every step: at
most one account per email, no employee ever created two accounts, and every linked ID is a
real account. At the end (faults off, time moved on): every employee that left Not syncing
is Successful or Failed with a reason, and every Successful one is in sync with its account.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.states import SyncState
from benefits_tui.services.clock import ManualClock
from benefits_tui.services.employees import update_employee
from benefits_tui.services.sync import record_job
from benefits_tui.services.sync.record_job import RecordJob
from benefits_tui.services.sync.record_writer import LeaseLost
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.helpers import Simulator, add_people, services

EMPLOYEES = 5
PRELOADED = "TEST.PERSON1@example.com"  # employee 1 links to this pre-existing account
TAKEN = "taken@elsewhere.example"  # a pre-existing account no employee starts with
CRASH_POINTS = ("after_claim", "after_create_sent", "after_accepted", "before_success")
FINAL = (SyncState.SUCCESSFUL.value, SyncState.FAILED.value)


class Crash(BaseException):
    """The process died here (a BaseException: nothing in the engine catches it)."""


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.tmp = Path(tempfile.mkdtemp(prefix="benefits-stateful-"))
        preload = self.tmp / "preload.csv"
        preload.write_text(
            "id,email,forenames,surname\n"
            f"acc_pre_1,{PRELOADED},Pre,Loaded\n"
            f"acc_taken,{TAKEN},Some,One\n",
            encoding="utf-8",
        )
        self.sim = Simulator(preload=preload, job_delay_ms=0)
        self.clock = ManualClock(dt.datetime.now(dt.UTC))
        self.stack = contextlib.AsyncExitStack()
        self.context = self.run(
            self.stack.enter_async_context(
                services(
                    f"sqlite+aiosqlite:///{self.tmp / 'hr.db'}",
                    self.sim,
                    clock=self.clock,
                    lease_seconds=2,
                )
            )
        )
        self.ids: list[int] = self.run(add_people(self.context, EMPLOYEES))
        self.ids += self.run(add_people(self.context, 1, start=EMPLOYEES + 1, email="not-an-email"))
        self.worker = SyncWorker(self.context, owner="stateful-worker", seed=1)
        self.ghosts = itertools.count(1)
        self.fresh = itertools.count(1)

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)

    async def _carry(self, worker: SyncWorker, limit: int, crash_at: str | None = None) -> None:
        claims = await worker.claim(limit)
        if crash_at == "after_claim":
            return  # claimed, then died: the leases expire
        rules = await worker.rules()
        for claim in claims:
            job = RecordJob(self.context, claim, worker.pacer, rules, worker.rng)
            if crash_at is None:
                with contextlib.suppress(LeaseLost):
                    await job.run()
                continue

            def crashpoint(name: str) -> None:
                if name == crash_at:
                    raise Crash(name)

            # A module global of record_job, replaced for this one run (not part of its API).
            saved = record_job.crashpoint  # type: ignore[attr-defined]
            record_job.crashpoint = crashpoint  # type: ignore[attr-defined]
            try:
                await job.run()
            except Crash:
                return  # this process is gone: the rest of its claims are left leased
            finally:
                record_job.crashpoint = saved  # type: ignore[attr-defined]

    async def _configure(self, **changes: float) -> None:
        async with httpx.AsyncClient(
            transport=self.sim.transport, base_url="http://benefits.test"
        ) as client:
            (await client.post("/_sim/config", json=changes)).raise_for_status()

    # ------------------------------------------------------------------ rules

    @rule(picks=st.sets(st.integers(0, EMPLOYEES), min_size=1, max_size=EMPLOYEES + 1))
    def request(self, picks: set[int]) -> None:
        self.run(request_sync(self.context, Selection.of(self.ids[i] for i in picks)))

    @rule(limit=st.integers(1, 4))
    def step_worker(self, limit: int) -> None:
        self.run(self._carry(self.worker, limit))

    @rule(limit=st.integers(1, 3), point=st.sampled_from(CRASH_POINTS))
    def crash(self, limit: int, point: str) -> None:
        ghost = SyncWorker(self.context, owner=f"gone-host:{next(self.ghosts)}:dead", seed=2)
        self.run(self._carry(ghost, limit, crash_at=point))

    @rule(seconds=st.sampled_from([0.05, 0.5, 3.0, 60.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(fail_rate=st.sampled_from([0.0, 0.3, 0.6]), async_ratio=st.sampled_from([0.0, 0.5, 1.0]))
    def platform_faults(self, fail_rate: float, async_ratio: float) -> None:
        self.run(self._configure(fail_rate=fail_rate, async_ratio=async_ratio))

    @rule(
        index=st.integers(0, EMPLOYEES),
        other=st.integers(0, EMPLOYEES),
        kind=st.sampled_from(["fresh", "colleague", "taken", "upper", "invalid"]),
    )
    def change_email(self, index: int, other: int, kind: str) -> None:
        employee_id = self.ids[index]

        async def change() -> None:
            async with self.context.db.read() as session:
                emails = dict((await session.execute(select(Employee.id, Employee.email))).all())
            new = {
                "fresh": f"fresh{next(self.fresh)}@example.com",
                "colleague": emails[self.ids[other]],
                "taken": TAKEN,
                "upper": (emails[employee_id] or "x@example.com").upper(),
                "invalid": "nobody-at-example.com",
            }[kind]
            await update_employee(self.context, employee_id, {"email": new})

        self.run(change())

    # ------------------------------------------------------------- invariants

    async def _platform(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return await self.sim.stats(), await self.sim.accounts()

    @invariant()
    def one_account_per_email_and_per_employee(self) -> None:
        stats, accounts = self.run(self._platform())
        assert stats["duplicate_emails"] == 0
        created_for = [a["external_id"] for a in accounts if a.get("external_id")]
        twice = {number for number in created_for if created_for.count(number) > 1}
        # An account is only re-labelled by an update, never created twice for one employee.
        assert not twice, f"employees with two accounts: {twice}: {accounts}"

    @invariant()
    def links_are_real_and_single(self) -> None:
        async def links() -> list[str]:
            async with self.context.db.read() as session:
                return list(
                    (
                        await session.scalars(
                            select(SyncRecord.account_id).where(SyncRecord.account_id.is_not(None))
                        )
                    ).all()
                )

        linked = self.run(links())
        _, accounts = self.run(self._platform())
        ids = {a["id"] for a in accounts}
        assert len(linked) == len(set(linked))
        assert set(linked) <= ids, (
            f"linked to accounts the platform does not have: {set(linked) - ids}"
        )

    # ------------------------------------------------------------------ the end

    async def _drain(self) -> None:
        await self._configure(fail_rate=0, async_ratio=0)
        for _ in range(100):
            async with self.context.db.read() as session:
                left = await session.scalar(
                    select(SyncRecord.employee_id)
                    .where(SyncRecord.state == SyncState.IN_PROGRESS.value)
                    .limit(1)
                )
            if left is None:
                return
            self.clock.advance(61)  # past every lease, backoff and job poll
            await self._carry(self.worker, 50)
        raise AssertionError("records still In progress after the drain")

    async def _final_state(self) -> list[tuple[Any, ...]]:
        async with self.context.db.read() as session:
            return list(
                (
                    await session.execute(
                        select(
                            Employee.employee_number,
                            Employee.email,
                            SyncRecord.state,
                            SyncRecord.reason,
                            SyncRecord.account_id,
                            SyncRecord.lease_owner,
                        ).join(SyncRecord, SyncRecord.employee_id == Employee.id)
                    )
                ).all()
            )

    def teardown(self) -> None:
        try:
            self.run(self._drain())
            rows = self.run(self._final_state())
            _, accounts = self.run(self._platform())
            by_id = {a["id"]: a for a in accounts}
            for number, email, state, reason, account_id, lease_owner in rows:
                if state == SyncState.NOT_SYNCING.value:
                    continue
                assert state in FINAL, f"{number} ended {state}"
                assert lease_owner is None, (
                    f"{number} ended {state} but still leased to {lease_owner}"
                )
                if state == SyncState.FAILED.value:
                    assert (reason or "").strip(), f"{number} Failed without a reason"
                    continue
                account = by_id[account_id]
                assert (account.get("email") or "").casefold() == (email or "").casefold(), (
                    f"{number} is Successful but its account holds {account.get('email')!r}, HR "
                    f"{email!r}"
                )
                assert account.get("external_id") == number
            self.one_account_per_email_and_per_employee()
        finally:
            self.run(self.stack.aclose())
            self.runner.close()
            self.sim.app.state.sim.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


def test_sync_state_machine() -> None:
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
