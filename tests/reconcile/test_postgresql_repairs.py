"""Reconciliation as the database's logins (RULES §1.10, 1.16): HR reconciles and asks for the
repairs, the worker login carries them out; read-only sees the findings and nothing else."""

from __future__ import annotations

import asyncpg
import pytest

from benefits_tui.domain.states import CreatedVia, SyncState
from benefits_tui.services.context import open_context
from benefits_tui.services.employees import add_employee
from benefits_tui.services.errors import PermissionDenied
from benefits_tui.services.queries import employee_detail
from benefits_tui.services.reconcile.engine import reconcile
from benefits_tui.services.reconcile.findings import DriftKind
from benefits_tui.services.reconcile.repairs import link_matches, resend_hr_values
from benefits_tui.services.reconcile.store import iter_findings, last_reconciliation
from benefits_tui.services.sync.requests import Selection, request_sync
from benefits_tui.services.sync.worker import SyncWorker
from tests.access.test_postgresql_access import Logins, _settings, logins, module_logins
from tests.conftest import pg_url
from tests.helpers import Simulator, add_people, drain, person
from tests.reconcile.common import create_account, patch_account

pytestmark = pytest.mark.skipif(pg_url() is None, reason="needs BENEFITS_TUI_TEST_PG_URL")
__all__ = ["logins", "module_logins"]


async def test_hr_repairs_drift_the_worker_sends_and_read_only_only_looks(
    logins: Logins,
) -> None:
    sim = Simulator()
    async with open_context(_settings(logins.url("hr")), transport=sim.transport) as hr:
        ids = await add_people(hr, 2)
        await request_sync(hr, Selection.of(ids))
        unlinked, _, _ = await add_employee(
            hr, person(7, email="old@example.com"), created_via=CreatedVia.CLI
        )
    async with open_context(_settings(logins.url("worker")), transport=sim.transport) as worker:
        await drain(SyncWorker(worker), 60)
        drifted = (await employee_detail(worker, ids[0])).account_id
    assert drifted
    await patch_account(sim, drifted, {"surname": "Edited"})
    matching = await create_account(sim, email="OLD@example.com", external_id="OLD-7")

    async with open_context(_settings(logins.url("hr")), transport=sim.transport) as hr:
        summary = await reconcile(hr)
        assert summary.counts_json()["field_drift"] == 1
        assert summary.counts_json()["unlinked_match"] == 1
        findings = [f async for f in iter_findings(hr, summary.id)]
        assert (await resend_hr_values(hr, findings)).queued == 1
        assert (await link_matches(hr, findings)).queued == 1
    # HR still cannot write an account ID itself: only the worker links, after checking.
    connection = await asyncpg.connect(logins.dsn("hr"))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("UPDATE sync_records SET account_id = 'acc_forged'")
    finally:
        await connection.close()

    async with open_context(_settings(logins.url("worker")), transport=sim.transport) as worker:
        await drain(SyncWorker(worker), 60)
        linked = await employee_detail(worker, unlinked)
    assert linked.account_id == matching and linked.state is SyncState.SUCCESSFUL
    asked = next(e for e in linked.history if e.reason and matching in e.reason)
    assert asked.actor == logins.name("hr")
    assert any(
        str(e.action) == "linked" and e.actor == logins.name("worker") for e in linked.history
    )

    async with open_context(_settings(logins.url("readonly")), transport=sim.transport) as viewer:
        last = await last_reconciliation(viewer)
        assert last.summary is not None and last.summary.counts.get(DriftKind.FIELD_DRIFT) == 0
        with pytest.raises(PermissionDenied):
            await reconcile(viewer)
    async with open_context(_settings(logins.url("hr")), transport=sim.transport) as hr:
        assert (await reconcile(hr)).total == 0
