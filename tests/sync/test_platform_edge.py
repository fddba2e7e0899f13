"""RULES §1.3 and §1.13: every wait on the platform is bounded, by time, and visible.

Each test puts a misbehaving platform (:mod:`tests.faults`) in front of the simulator and
checks that the records end in the named state within their budget, without a duplicate
account. Budgets are short (settings), so the tests are fast.
"""

from __future__ import annotations

import datetime as dt
import time

import anyio
import pytest

from benefits_tui.domain.retry import RetryPolicy
from benefits_tui.domain.states import SyncState
from benefits_tui.platform.client import BenefitsClient
from benefits_tui.services.platform_hold import read_hold
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.faults import FaultyPlatform
from tests.helpers import TOKEN, add_people, drain, services


def test_the_retry_policy_grows_caps_and_bounds_by_time() -> None:
    policy = RetryPolicy(base_seconds=2, max_seconds=300, budget_seconds=3600)
    assert policy.delays(10) == (2, 4, 8, 16, 32, 64, 128, 256, 300, 300)
    assert policy.delay(10**9) == 300  # no overflow
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert not policy.spent(start, start + dt.timedelta(seconds=3599))
    assert policy.spent(start, start + dt.timedelta(seconds=3600))
    slow = RetryPolicy(base_seconds=0.5, max_seconds=30, factor=1.1)
    assert slow.delay_after(0) == 0.5 and slow.delay_after(10**6) == 30
    assert slow.delay_after(5) > slow.delay_after(1)


async def test_a_platform_that_answers_429_for_ever_fails_the_record_within_the_budget(
    database_url: str,
) -> None:
    platform = FaultyPlatform()
    async with services(database_url, platform.sim, max_retry_seconds=1.0) as context:
        context.transport = platform.transport
        ids = await add_people(context, 2)
        platform.fault, platform.retry_after = "throttle", "0.2"
        await request_sync(context, Selection.of(ids))
        started = time.monotonic()
        await drain(SyncWorker(context), 15)
        took = time.monotonic() - started
        details = [await employee_detail(context, i) for i in ids]
    assert all(d.state is SyncState.FAILED for d in details)
    reason = details[0].reason or ""
    assert reason.startswith("Benefits unavailable since ") and "429" in reason, reason
    assert took < 5, took
    assert (await platform.sim.stats())["accounts"] == 0


@pytest.mark.parametrize("retry_after", ["Fri, 31 Dec 9999 23:59:59 GMT", "1e11"])
async def test_an_absurd_retry_after_holds_everyone_back_no_longer_than_max_hold(
    database_url: str, retry_after: str
) -> None:
    platform = FaultyPlatform()
    async with services(database_url, platform.sim, max_hold_seconds=0.5) as context:
        context.transport = platform.transport
        ids = await add_people(context, 3)
        await request_sync(context, Selection.of(ids))
        platform.fault, platform.retry_after, platform.times = "throttle", retry_after, 1
        asked = context.clock.now()
        await drain(SyncWorker(context), 15)
        details = [await employee_detail(context, i) for i in ids]
        hold = await read_hold(context)
        async with context.db.read() as session:
            from sqlalchemy import select

            from benefits_tui.db.models import Throttle

            stored = await session.scalar(select(Throttle.blocked_until))
    assert platform.calls, "no 429 was sent: the test proves nothing"
    assert all(d.state is SyncState.SUCCESSFUL for d in details)
    assert stored is not None and stored - asked <= dt.timedelta(seconds=1.5)
    assert hold.blocked_until is None  # over already
    assert (await platform.sim.stats())["accounts"] == 3


async def test_an_outage_shorter_than_the_budget_fails_nobody_and_shows_once(
    database_url: str,
) -> None:
    platform = FaultyPlatform()
    async with services(
        database_url,
        platform.sim,
        max_retry_seconds=30,
        backoff_base_seconds=0.02,
        backoff_max_seconds=0.1,
    ) as context:
        context._client_factory = lambda: BenefitsClient(
            "http://benefits.test", TOKEN, transport=platform.transport, get_retries=0
        )
        ids = await add_people(context, 4)
        await request_sync(context, Selection.of(ids))
        platform.fault_for("down", 2.0)
        seen = []

        async def watch() -> None:
            while platform.fault:
                seen.append(await read_hold(context))
                await anyio.sleep(0.05)

        async with anyio.create_task_group() as group:
            group.start_soon(watch)
            await drain(SyncWorker(context), 30)
        details = [await employee_detail(context, i) for i in ids]
        after = await read_hold(context)
    assert all(d.state is SyncState.SUCCESSFUL for d in details), [d.reason for d in details]
    retries = max(sum(1 for e in d.history if str(e.action) == "retry_scheduled") for d in details)
    assert retries >= 3, retries  # (on SQLite usually > 8: what the old attempt counter allowed)
    troubled = [hold for hold in seen if hold.trouble_since is not None]
    assert troubled and "Cannot reach" in (troubled[-1].trouble or "")
    assert after.trouble_since is None  # cleared by the first success
    assert (await platform.sim.stats())["accounts"] == 4


async def test_a_job_that_never_finishes_ends_the_attempt_then_is_resolved_without_a_duplicate(
    database_url: str,
) -> None:
    platform = FaultyPlatform(async_ratio=1.0, job_delay_ms=20)
    async with services(
        database_url, platform.sim, job_timeout_seconds=0.4, job_poll_seconds=0.05
    ) as context:
        context.transport = platform.transport
        [employee] = await add_people(context, 1)
        platform.fault = "hide_jobs"  # the job completes on the platform; we never hear it
        await request_sync(context, Selection.of([employee]))
        started = time.monotonic()
        await drain(SyncWorker(context), 15)
        took = time.monotonic() - started
        failed = await employee_detail(context, employee)
        job_id = next(
            e.answer.removeprefix("accepted as job ")
            for e in failed.history
            if e.answer and e.answer.startswith("accepted as job ")
        )
        assert failed.state is SyncState.FAILED and job_id in (failed.reason or ""), failed.reason
        assert "did not finish" in (failed.reason or "") and took < 5
        # Synced again: the job is read first and its account linked by ID — no new create.
        platform.fault = "hide_accounts"
        await request_sync(context, Selection.of([employee]))
        await drain(SyncWorker(context), 15)
        done = await employee_detail(context, employee)
    assert done.state is SyncState.SUCCESSFUL and done.account_id
    creates = [
        r
        for r in await platform.sim.requests()
        if r["method"] == "POST" and r["path"] == "/v1/accounts"
    ]
    assert len(creates) == 1
    assert (await platform.sim.stats())["accounts"] == 1


async def test_a_given_up_create_keeps_its_key_so_a_resync_cannot_create_twice(
    database_url: str,
) -> None:
    """Mutation audit: giving up must keep the request (``keep_request=True``)."""
    platform = FaultyPlatform(async_ratio=1.0, job_delay_ms=20)
    async with services(database_url, platform.sim, max_retry_seconds=0.2) as context:
        context.transport = platform.transport
        [employee] = await add_people(context, 1)
        platform.fault = "lost_answers"  # committed on the platform, the answer timed out
        await request_sync(context, Selection.of([employee]))
        await drain(SyncWorker(context), 15)
        given_up = await employee_detail(context, employee)
        assert given_up.state is SyncState.FAILED, given_up.reason
        assert "Benefits unavailable since" in (given_up.reason or "")
        await anyio.sleep(0.1)  # the platform's job has finished by now
        platform.fault = "hide_accounts"  # ... but look-ups do not show the account yet
        await request_sync(context, Selection.of([employee]))
        await drain(SyncWorker(context), 15)
        detail = await employee_detail(context, employee)
    creates = [
        r
        for r in await platform.sim.requests()
        if r["method"] == "POST" and r["path"] == "/v1/accounts"
    ]
    assert len({r["idempotency_key"] for r in creates}) == 1, creates
    assert detail.state is SyncState.SUCCESSFUL, detail.reason
    stats = await platform.sim.stats()
    assert stats["accounts"] == 1 and stats["duplicate_emails"] == 0
