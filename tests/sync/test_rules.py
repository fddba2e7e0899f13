"""RULES §1 rules through the service layer, a real database and the simulator over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy.exc import OperationalError

from benefits_tui.domain.states import SyncState
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import start_in_thread
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.employees import record_leaver, update_employee
from benefits_tui.services.queries import EmployeeDetail, employee_detail
from benefits_tui.services.sync.pacing import Pacer
from benefits_tui.services.sync.record_job import Claim
from benefits_tui.services.sync.requests import Selection, plan_sync, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.faults import FaultyPlatform
from tests.helpers import (
    TOKEN,
    Simulator,
    add_people,
    drain,
    person,
    services,
    synced,
    write_preload,
)


def actions(detail: EmployeeDetail) -> list[str]:
    return [str(event.action) for event in detail.history]


async def test_existing_account_is_linked_not_duplicated(database_url: str, tmp_path: Path) -> None:
    sim = Simulator(
        preload=write_preload(tmp_path / "pre.csv", [person(1, email="TEST.PERSON1@example.com")])
    )
    existing = (await sim.accounts())[0]
    async with services(database_url, sim) as context:
        [employee] = await add_people(context, 1)
        await synced(context, [employee])
        detail = await employee_detail(context, employee)
    assert detail.state is SyncState.SUCCESSFUL
    assert detail.account_id == existing["id"]
    assert "linked" in actions(detail) and "created" not in actions(detail)
    assert (await sim.stats())["accounts"] == 1
    # The link sends the current HR data by account ID.
    account = await sim.account_by_email("test.person1@example.com")
    assert account is not None and account["job_title"] == "Analyst"


async def test_shared_email_fails_both_naming_the_other_without_a_call(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        first, second = await add_people(context, 2, email="shared@example.com")
        result = await request_sync(context, Selection.of([first, second]))
        assert result.rejected == 2 and result.queued == 0
        one, two = await employee_detail(context, first), await employee_detail(context, second)
    assert one.state is SyncState.FAILED and "shared with" in (one.reason or "")
    assert two.employee_number in (one.reason or "") and one.employee_number in (two.reason or "")
    assert await sim.account_calls() == []  # no platform call about accounts
    assert "hr_rejected" in actions(one)


async def test_records_that_cannot_succeed_fail_at_once_with_a_reason(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        no_email = (await add_people(context, 1, email=None))[0]
        bad_email = (await add_people(context, 1, start=2, email="not-an-email"))[0]
        no_birth = (await add_people(context, 1, start=3, date_of_birth=None))[0]
        plan = await plan_sync(context, Selection.of([no_email, bad_email, no_birth]))
        assert plan.rejected_by_kind == {"no_email": 1, "invalid_email": 1, "missing_field": 1}
        await request_sync(context, Selection.of([no_email, bad_email, no_birth]), plan=plan)
        reasons = [
            (await employee_detail(context, i)).reason for i in (no_email, bad_email, no_birth)
        ]
    assert reasons[0] == "HR rejected: no email address"
    assert "not a valid address" in (reasons[1] or "")
    assert reasons[2] == "HR rejected: missing date of birth"
    assert (await sim.stats())["accounts"] == 0


async def test_benefits_rejection_is_failed_with_the_platforms_reason(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        first, second = await add_people(context, 2)
        await synced(context, [first, second])
        # HR gives the first the second's email: the platform refuses the update (409).
        await update_employee(context, first, {"email": "test.person2@example.com"})
        await drain(SyncWorker(context), 20)
        detail = await employee_detail(context, first)
    assert detail.state is SyncState.FAILED
    assert detail.reason and detail.reason.startswith("Benefits rejected:")
    assert any(event.status_code == 409 for event in detail.history)


async def test_updates_go_by_account_id_even_after_the_email_changes(database_url: str) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        [employee] = await add_people(context, 1)
        await synced(context, [employee])
        account_id = (await employee_detail(context, employee)).account_id
        lookups_before = len([r for r in await sim.account_calls() if r["method"] == "GET"])
        change = await update_employee(
            context, employee, {"email": "renamed@example.com", "annual_pay": 41000}
        )
        assert change.update_queued
        assert (await employee_detail(context, employee)).state is SyncState.IN_PROGRESS
        await drain(SyncWorker(context), 20)
        detail = await employee_detail(context, employee)
    assert detail.state is SyncState.SUCCESSFUL and detail.account_id == account_id
    accounts = await sim.accounts()
    assert len(accounts) == 1
    assert accounts[0]["id"] == account_id and accounts[0]["email"] == "renamed@example.com"
    assert accounts[0]["annual_pay"] == 41000
    log = await sim.requests()
    lookups_after = len([r for r in await sim.account_calls() if r["method"] == "GET"])
    assert lookups_after == lookups_before  # no new look-up by email
    assert any(r["method"] == "PATCH" and account_id in r["path"] for r in log)


async def test_leaver_with_a_link_ends_coverage_and_without_one_makes_no_call(
    database_url: str,
) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        linked, never = await add_people(context, 2)
        await synced(context, [linked])
        leave = dt.date(2026, 12, 31)
        result = await record_leaver(context, linked, leave, "Resignation")
        assert result.termination_queued
        await drain(SyncWorker(context), 20)
        requests_before = len(await sim.account_calls())
        quiet = await record_leaver(context, never, leave, "Resignation")
        assert not quiet.termination_queued
        await drain(SyncWorker(context), 20)
        assert len(await sim.account_calls()) == requests_before
        detail = await employee_detail(context, linked)
    account = await sim.account_by_email("test.person1@example.com")
    assert (
        account is not None
        and account["status"] == "terminated"
        and account["leave_date"] == "2026-12-31"
    )
    assert detail.coverage_ended_on == leave and "coverage_ended" in actions(detail)


async def test_async_jobs_complete_and_link(database_url: str) -> None:
    sim = Simulator(async_ratio=1.0, job_delay_ms=30)
    async with services(database_url, sim) as context:
        ids = await add_people(context, 3)
        await request_sync(context, Selection.of(ids))
        await drain(SyncWorker(context), 30)
        details = [await employee_detail(context, i) for i in ids]
    assert all(d.state is SyncState.SUCCESSFUL and d.account_id for d in details)
    assert "accepted" in actions(details[0])
    assert (await sim.stats())["accounts"] == 3


async def test_transient_errors_retry_then_fail_with_the_last_reason(database_url: str) -> None:
    sim = Simulator(fail_rate=1.0)
    async with services(database_url, sim, max_retry_seconds=1.2) as context:
        [employee] = await add_people(context, 1)
        await request_sync(context, Selection.of([employee]))
        await drain(SyncWorker(context), 30)
        detail = await employee_detail(context, employee)
    assert detail.state is SyncState.FAILED
    assert detail.reason and detail.reason.startswith("Benefits unavailable since ")
    assert "gave up after" in detail.reason and "(50" in detail.reason
    assert actions(detail).count("retry_scheduled") >= 2


async def test_transient_errors_keep_the_record_in_progress_until_it_succeeds(
    database_url: str,
) -> None:
    sim = Simulator(fail_rate=1.0)
    async with services(database_url, sim, max_retry_seconds=60) as context:
        [employee] = await add_people(context, 1)
        await request_sync(context, Selection.of([employee]))
        worker = SyncWorker(context)
        claims = await worker.claim(5)
        for claim in claims:
            worker._active += 1
            await worker._process(claim)
        detail = await employee_detail(context, employee)
        assert (
            detail.state is SyncState.IN_PROGRESS
            and detail.phase
            and detail.phase.value == "retrying"
        )
        await sim.configure(fail_rate=0.0)
        await drain(worker, 20)
        assert (await employee_detail(context, employee)).state is SyncState.SUCCESSFUL


async def test_committed_then_timed_out_create_is_retried_with_the_same_key(
    database_url: str,
) -> None:
    # A real socket, so the client's read timeout fires while the platform hangs; half the
    # hangs come after the create was committed (the classic ambiguous outcome).
    config = SimulatorConfig(token=TOKEN, timeout_rate=0.5, hang_ms=400, seed=11)
    with start_in_thread(config) as running:
        async with services(
            database_url, api_url=running.url, request_timeout=0.15, max_retry_seconds=60
        ) as context:
            ids = await add_people(context, 6)
            await request_sync(context, Selection.of(ids))
            worker = SyncWorker(context)
            ambiguous = 0
            for _ in range(8):  # rounds of work under faults, until a create timed out
                for claim in await worker.claim(10):
                    worker._active += 1
                    await worker._process(claim)
                details = [await employee_detail(context, i) for i in ids]
                ambiguous = sum(
                    1
                    for d in details
                    for e in d.history
                    if e.answer and "may have been applied" in e.answer
                )
                if ambiguous:
                    break
                await anyio.sleep(0.1)
            assert ambiguous, "no create timed out: the test proves nothing"
            httpx.post(f"{running.url}/_sim/config", json={"timeout_rate": 0.0}).raise_for_status()
            await anyio.sleep(0.5)  # let hung requests finish (and commit) on the platform
            await drain(worker, 30)
            details = [await employee_detail(context, i) for i in ids]
        stats = httpx.get(f"{running.url}/_sim/stats").json()
        log = httpx.get(f"{running.url}/_sim/requests").json()["data"]
    assert all(d.state is SyncState.SUCCESSFUL for d in details)
    assert stats["accounts"] == 6 and stats["duplicate_emails"] == 0
    creates = [r for r in log if r["method"] == "POST" and r["path"] == "/v1/accounts"]
    assert len({r["idempotency_key"] for r in creates}) <= 6  # retries re-sent the same key


async def test_two_users_requesting_the_same_employees_share_one_job(database_url: str) -> None:
    sim = Simulator()
    async with (
        services(database_url, sim, user="alice") as alice,
        services(database_url, sim, user="bob") as bob,
    ):
        ids = await add_people(alice, 100)
        results = []

        async def ask(context: ServiceContext) -> None:
            results.append(await request_sync(context, Selection.of(ids)))

        async with anyio.create_task_group() as group:
            group.start_soon(ask, alice)
            group.start_soon(ask, bob)
        assert sum(r.queued for r in results) == 100
        requested = 0
        for i in ids:
            requested += actions(await employee_detail(alice, i)).count("requested")
        assert requested == 100
        await drain(SyncWorker(alice), 60)
    assert (await sim.stats())["accounts"] == 100


async def test_429_holds_back_every_worker(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Deterministic: instead of wall-clock margins around each 429, every call checks, at
    # the moment it is sent, that no hold its process knows of (its own 429s, the shared
    # row as read) is still running.
    sent_inside: list[tuple[dt.datetime, dt.datetime]] = []
    real_call = Pacer.call

    async def checked_call(self: Pacer, factory):  # type: ignore[no-untyped-def]
        async def send():  # type: ignore[no-untyped-def]
            now = self.context.clock.now()
            for known in (self._blocked_until, self._held_until):
                if known is not None and known > now:
                    sent_inside.append((known, now))
            return await factory()

        return await real_call(self, send)

    monkeypatch.setattr(Pacer, "call", checked_call)
    sim = Simulator(rate_limit=5)
    async with services(database_url, sim) as context, services(database_url, sim) as other:
        ids = await add_people(context, 12)
        await request_sync(context, Selection.of(ids))
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: drain(SyncWorker(context, concurrency=4), 60))
            group.start_soon(lambda: drain(SyncWorker(other, concurrency=4), 60))
        details = [await employee_detail(context, i) for i in ids]
    assert all(d.state is SyncState.SUCCESSFUL for d in details)
    log = await sim.requests()
    assert [r for r in log if r["status"] == 429], "the rate limit was never hit"
    assert (await sim.stats())["accounts"] == 12
    assert sent_inside == []


@asynccontextmanager
async def _one_queued(database_url: str) -> AsyncIterator[tuple[ServiceContext, int, SyncWorker]]:
    """Services with one employee queued, and a worker (not started) to send it."""
    async with services(database_url, Simulator()) as context:
        [employee] = await add_people(context, 1)
        await request_sync(context, Selection.of([employee]))
        yield context, employee, SyncWorker(context)


def _lost_connection() -> OperationalError:
    return OperationalError("SELECT", {}, Exception("server closed the connection"))


async def test_worker_waits_out_database_trouble_instead_of_exiting(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _one_queued(database_url) as (context, employee, worker):
        real_claim = worker.claim
        failures = iter([_lost_connection()])

        async def flaky_claim(limit: int) -> list[Claim]:
            for failure in failures:
                raise failure
            return await real_claim(limit)

        monkeypatch.setattr(worker, "claim", flaky_claim)
        monkeypatch.setattr("benefits_tui.services.sync.worker.anyio.sleep", _fast_sleep)
        await drain(worker, 20)
        assert worker.database_errors == 1
        assert (await employee_detail(context, employee)).state is SyncState.SUCCESSFUL


_real_sleep = anyio.sleep


async def _fast_sleep(seconds: float) -> None:
    await _real_sleep(min(seconds, 0.01))


async def test_account_already_linked_to_another_employee_fails_naming_them(
    database_url: str,
) -> None:
    sim = Simulator()
    async with services(database_url, sim) as context:
        [leaver] = await add_people(context, 1, email="shared.mailbox@example.com")
        await synced(context, [leaver])
        # The first holder left long ago (no longer current, so HR's shared-email check
        # does not see them); a new starter is given the same mailbox.
        await record_leaver(context, leaver, dt.date(2026, 1, 1), "Resignation")
        await drain(SyncWorker(context), 20)
        [starter] = await add_people(context, 1, start=2, email="Shared.Mailbox@example.com")
        await synced(context, [starter])
        old, new = await employee_detail(context, leaver), await employee_detail(context, starter)
    assert new.state is SyncState.FAILED and new.account_id is None
    assert old.account_id and old.account_id in (new.reason or "")
    assert old.employee_number in (new.reason or "") and "already linked" in (new.reason or "")
    assert (await sim.stats())["accounts"] == 1


async def test_async_job_that_ends_in_error_is_resolved_without_a_duplicate(
    database_url: str,
) -> None:
    # Deterministic (no race with the job's delay): another system's account with the same
    # email exists before our create but look-ups do not show it yet (a lagging index), so
    # our create is accepted (202) and its job ends in error (email_in_use).
    platform = FaultyPlatform()
    response = await platform.sim.post_account(
        {"external_id": "OTHER", **_account_fields(email="test.person1@example.com")}
    )
    assert response.status_code == 201, response.text
    other_id = response.json()["id"]
    await platform.sim.configure(async_ratio=1.0, job_delay_ms=0)
    platform.fault = "hide_accounts"
    async with services(database_url, platform.sim) as context:
        context.transport = platform.transport
        [employee] = await add_people(context, 1)
        await request_sync(context, Selection.of([employee]))
        worker = SyncWorker(context)
        for _ in range(20):  # step by step until the job's error is in the history
            for claim in await worker.claim(5):
                worker._active += 1
                await worker._process(claim)
            detail = await employee_detail(context, employee)
            if any("in use" in (e.reason or "") + (e.answer or "") for e in detail.history):
                break
            await anyio.sleep(0.02)
        platform.fault = None  # the index catches up: the look-up finds the account
        await drain(worker, 20)
        detail = await employee_detail(context, employee)
    history = " ".join(f"{e.action} {e.answer or ''} {e.reason or ''}" for e in detail.history)
    assert "accepted" in history and "retry_scheduled" in history and "in use" in history, history
    assert detail.state is SyncState.SUCCESSFUL and detail.account_id == other_id  # linked
    stats = await platform.sim.stats()
    assert stats["duplicate_emails"] == 0 and stats["accounts"] == 1


def _account_fields(**overrides: object) -> dict[str, object]:
    values = {
        "email": "someone@example.com",
        "title": "Ms",
        "forenames": "Other",
        "surname": "Person",
        "date_of_birth": "1990-01-01",
        "gender": "F",
        "annual_pay": 30000,
        "pay_basis": "Salary",
        "pay_frequency": "Monthly",
    }
    values.update(overrides)
    return values


async def test_the_database_back_off_starts_again_after_a_success(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _one_queued(database_url) as (context, employee, worker):
        real_claim = worker.claim
        trouble = _lost_connection()
        # Two failures in a row, a success (that found nothing due), then one more failure.
        script = iter(["fail", "fail", "empty", "fail"])

        async def flaky_claim(limit: int):  # type: ignore[no-untyped-def]
            step = next(script, "ok")
            if step == "fail":
                raise trouble
            return [] if step == "empty" else await real_claim(limit)

        waits: list[float] = []

        async def recorded_sleep(seconds: float) -> None:
            waits.append(seconds)
            await _real_sleep(min(seconds, 0.01))

        monkeypatch.setattr(worker, "claim", flaky_claim)
        monkeypatch.setattr("benefits_tui.services.sync.worker.anyio.sleep", recorded_sleep)
        await drain(worker, 20)
        assert (await employee_detail(context, employee)).state is SyncState.SUCCESSFUL
    backoffs = [w for w in waits if w >= 0.5]
    assert backoffs[:3] == [0.5, 1.0, 0.5], waits  # the third wait starts from the base again
