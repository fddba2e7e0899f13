"""Pre-flight verdicts kept with each employee: Confirm Sync counts them, exactly (RULES §5)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee, PlatformCache, SyncRecord
from benefits_tui.domain.states import SyncState
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.employees import update_employee
from benefits_tui.services.queries import EmployeeFilter, employee_detail, list_ids
from benefits_tui.services.sync import requests
from benefits_tui.services.sync.reference import cached_rules
from benefits_tui.services.sync.requests import Selection, plan_sync, request_sync
from benefits_tui.services.sync.verdicts import refresh_verdicts
from tests.helpers import add_people, services

EVERYONE = Selection.all_in(EmployeeFilter(SyncState.NOT_SYNCING))


async def test_verdicts_are_known_when_employees_are_written(database_url: str) -> None:
    async with services(database_url) as context:
        await add_people(context, 3)
        await add_people(context, 1, start=4, email=None)
        async with context.db.read() as session:
            fingerprints = (await session.scalars(select(Employee.preflight_rules))).all()
        assert len(fingerprints) == 4 and None not in fingerprints
        assert await refresh_verdicts(context) == 0  # nothing left to compute when asked
        plan = await plan_sync(context, EVERYONE)
    assert plan.rejected_by_kind == {"no_email": 1}
    assert (plan.total, plan.to_send, plan.sendable) == (4, 3, 4)


async def test_an_edit_by_any_writer_makes_the_verdict_stale_and_the_count_stays_exact(
    database_url: str,
) -> None:
    """A trigger clears the verdict whatever writes the employee (here raw SQL)."""
    async with services(database_url) as context:
        ids = await add_people(context, 3)
        assert (await plan_sync(context, EVERYONE)).rejected == 0

        def edit(session: Session) -> None:
            session.execute(
                text("UPDATE employees SET email = NULL WHERE id = :id"), {"id": ids[0]}
            )
            session.execute(
                text("UPDATE employees SET gender = 'Q' WHERE id = :id"), {"id": ids[1]}
            )

        await context.db.run_write(edit)
        plan = await plan_sync(context, EVERYONE)
    assert plan.rejected_by_kind == {"no_email": 1, "picklist": 1}
    assert plan.to_send == 1


async def test_a_change_of_the_platforms_rules_is_counted_at_once(database_url: str) -> None:
    async with services(database_url) as context:
        await add_people(context, 2, gender="M")
        await add_people(context, 1, start=3, gender="F")
        assert (await plan_sync(context, EVERYONE)).rejected == 0

        # The platform stops offering "M" (as a refresh of its picklists would store it).
        def drop_m(session: Session) -> None:
            session.add(
                PlatformCache(
                    key="picklist:gender", value=["F", "X", "N"], fetched_at=context.clock.now()
                )
            )

        await context.db.run_write(drop_m)
        rules = await cached_rules(context)
        plan = await plan_sync(context, EVERYONE, rules)
        assert plan.rejected_by_kind == {"picklist": 2}
        result = await request_sync(context, EVERYONE, plan=plan)
    assert (result.rejected, result.queued) == (2, 1)


async def test_shared_emails_are_counted_for_the_unlinked_only(database_url: str) -> None:
    async with services(database_url) as context:
        first, second = await add_people(context, 2, email="same@example.com")
        [third] = await add_people(context, 1, start=3)
        assert (await plan_sync(context, EVERYONE)).rejected_by_kind == {"shared_email": 2}

        def link(session: Session) -> None:  # the first was linked to an account earlier
            session.execute(
                update(SyncRecord).where(SyncRecord.employee_id == first).values(account_id="acc-1")
            )

        await context.db.run_write(link)
        plan = await plan_sync(context, EVERYONE)
        assert plan.rejected_by_kind == {"shared_email": 1} and plan.to_send == 2
        result = await request_sync(context, EVERYONE, plan=plan)
        reason = (await employee_detail(context, second)).reason or ""
    assert (result.rejected, result.queued) == (1, 2)
    assert "shared with" in reason and "E000001" in reason
    assert third


async def test_a_request_walks_the_selection_in_chunks_and_honours_exceptions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(requests, "CHUNK", 2)
    async with services(database_url) as context:
        ids = await add_people(context, 5)
        [no_email] = await add_people(context, 1, start=6, email=None)
        selection = Selection.all_in(EmployeeFilter(SyncState.NOT_SYNCING), excluded=[ids[0]])
        plan = await plan_sync(context, selection)
        assert (plan.total, plan.to_send, plan.rejected) == (5, 4, 1)
        seen: list[tuple[int, int]] = []
        result = await request_sync(
            context, selection, plan=plan, on_progress=lambda d, t: seen.append((d, t))
        )
        states = {i: (await employee_detail(context, i)).state for i in [*ids, no_email]}
    assert (result.queued, result.rejected) == (4, 1)
    assert seen[-1] == (5, 5) and len(seen) == 3
    assert states[ids[0]] is SyncState.NOT_SYNCING
    assert states[no_email] is SyncState.FAILED
    assert all(states[i] is SyncState.IN_PROGRESS for i in ids[1:])


async def test_the_plan_holds_counts_not_employees(database_url: str) -> None:
    async with services(database_url) as context:
        await add_people(context, 4)
        plan = await plan_sync(context, EVERYONE)
    sizes = {
        name: value for name, value in vars(plan).items() if isinstance(value, list | dict | set)
    }
    assert sizes == {"rejected_by_kind": {}}
    assert isinstance(plan.planned_at, dt.datetime)


@pytest.mark.parametrize("search", ["quill", "qu", "quill zeb"])
async def test_select_all_over_a_search_plans_and_sends_only_its_rows(
    database_url: str, search: str
) -> None:
    """Select-all over a search covers exactly the search's employees, whether the search
    is narrowed by SQLite's trigram index (words of 3 or more characters) or not."""
    async with services(database_url) as context:
        others = await add_people(context, 6)
        found = await add_people(context, 3, start=50, forenames="Zebedee", surname="Quill")
        [no_email] = await add_people(
            context, 1, start=60, forenames="Zebedee", surname="Quill", email=None
        )
        selection = Selection.all_in(EmployeeFilter(SyncState.NOT_SYNCING, search))
        plan = await plan_sync(context, selection)
        assert (plan.total, plan.to_send, plan.rejected) == (4, 3, 1)
        result = await request_sync(context, selection, plan=plan)
        assert (result.queued, result.rejected) == (3, 1)
        everyone = [*others, *found, no_email]
        states = {i: (await employee_detail(context, i)).state for i in everyone}
    assert {i for i, state in states.items() if state is SyncState.IN_PROGRESS} == set(found)


def _summary(plan: requests.SyncPlan) -> tuple[object, ...]:
    return (
        plan.total,
        plan.to_send,
        plan.without_level,
        plan.already_in_progress,
        plan.already_synced,
        dict(plan.rejected_by_kind),
    )


async def test_the_whole_tab_count_equals_judging_each_of_its_employees(database_url: str) -> None:
    """Select-all counts in SQL (the totals, then the rejected through the verdict indexes,
    then the shared emails); ticking the same employees judges each row in Python. Every tab,
    with and without exceptions, gives the same summary both ways."""
    async with services(database_url) as context:
        ids = await add_people(context, 6)
        ids += await add_people(context, 3, start=10, benefit_level=None)
        ids += await add_people(context, 2, start=20, email="twice@example.com")
        ids += await add_people(context, 1, start=30, email="twice@example.com", benefit_level="")
        ids += await add_people(context, 2, start=40, email=None)
        ids += await add_people(context, 1, start=50, email=None, benefit_level=None)
        ids += await add_people(context, 2, start=60, gender="Q")
        ids += await add_people(context, 1, start=70, date_of_birth=None)

        def spread(session: Session) -> None:
            """Link some (one of a shared email, one the platform would now refuse), put some
            In progress or Successful, and make one a leaver."""
            linked = {ids[0]: "acc-0", ids[9]: "acc-9", ids[16]: "acc-16", ids[6]: "acc-6"}
            for employee_id, account in linked.items():
                session.execute(
                    update(SyncRecord)
                    .where(SyncRecord.employee_id == employee_id)
                    .values(account_id=account, state=SyncState.SUCCESSFUL.value)
                )
            session.execute(
                update(SyncRecord)
                .where(SyncRecord.employee_id.in_([ids[1], ids[12]]))
                .values(state=SyncState.IN_PROGRESS.value)
            )
            session.execute(
                update(Employee).where(Employee.id == ids[2]).values(leave_date=dt.date(2001, 1, 1))
            )

        await context.db.run_write(spread)
        rules = await cached_rules(context)  # (no platform here: don't ask it at every plan)
        for state in [*SyncState, None]:
            flt = EmployeeFilter(state)
            tab = await list_ids(context, flt)
            for excluded in ([], tab[::3]):
                whole = await plan_sync(context, Selection.all_in(flt, excluded=excluded), rules)
                ticked = await plan_sync(context, Selection.of(set(tab) - set(excluded)), rules)
                assert _summary(whole) == _summary(ticked), (state, excluded)
        everyone = await plan_sync(context, EVERYONE, rules)
    # Not syncing, current: five to send (two without a level), six rejected.
    assert everyone.rejected_by_kind == {
        "shared_email": 2,
        "no_email": 2,
        "picklist": 1,
        "missing_field": 1,
    }
    assert everyone.without_level == 2 and everyone.to_send == 5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_counts_the_holders_of_each_email_whoever_writes_the_employee(
    database_url: str,
) -> None:
    """``employee_emails`` (migration 0009) stays equal to a count of the employees' email
    keys through inserts, edits, a change of case, clearing, and raw SQL."""

    async def counted(context: ServiceContext) -> tuple[dict[str, int], dict[str, int]]:
        async with context.db.read() as session:
            kept = await session.execute(text("SELECT email_key, holders FROM employee_emails"))
            real = await session.execute(
                text(
                    "SELECT email_key, count(*) FROM employees "
                    "WHERE email_key IS NOT NULL GROUP BY email_key"
                )
            )
            return {k: int(n) for k, n in kept.all()}, {k: int(n) for k, n in real.all()}

    async with services(database_url) as context:
        ids = await add_people(context, 3, email="a@example.com")
        await add_people(context, 2, start=5)
        kept, real = await counted(context)
        assert kept == real and kept["a@example.com"] == 3
        await update_employee(context, ids[0], {"email": "B@example.com"})
        await update_employee(context, ids[1], {"email": None})
        await update_employee(context, ids[2], {"email": "A@Example.com"})  # the same key
        kept, real = await counted(context)
        assert kept == real and kept == {
            "a@example.com": 1,
            "b@example.com": 1,
            "test.person5@example.com": 1,
            "test.person6@example.com": 1,
        }

        def raw(session: Session) -> None:
            session.execute(text("UPDATE employees SET email_key = 'b@example.com'"))
            session.execute(text("DELETE FROM sync_events"))
            session.execute(
                text("DELETE FROM sync_records WHERE employee_id = :id"), {"id": ids[0]}
            )
            session.execute(text("DELETE FROM employees WHERE id = :id"), {"id": ids[0]})

        await context.db.run_write(raw)
        kept, real = await counted(context)
    assert kept == real == {"b@example.com": 4}


async def test_the_summary_counts_those_without_a_level_in_words(database_url: str) -> None:
    async with services(database_url) as context:
        one = await add_people(context, 1, benefit_level=None)
        plan = await plan_sync(context, Selection.of(one))
        assert "1 has no Benefits Level" in plan.summary_lines()
        two = one + await add_people(context, 1, start=2, benefit_level=None)
        plan = await plan_sync(context, Selection.of(two))
        assert "2 have no Benefits Level" in plan.summary_lines()
