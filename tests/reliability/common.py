"""Shared plumbing of the reliability tests: a simulator on a real socket, CLI subprocesses,
and the end-state checks of RULES §1.12 (no duplicate account, no lost sync, an outcome for
every attempt)."""

from __future__ import annotations

import asyncio
import csv
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from benefits_tui.config import load_settings
from benefits_tui.db.models import Employee, SyncEvent, SyncRecord
from benefits_tui.domain.states import Action, SyncState
from benefits_tui.platform.contract import normalise_email
from benefits_tui.platform.simulator.config import SimulatorConfig
from benefits_tui.platform.simulator.server import RunningSimulator, start_in_thread
from benefits_tui.services.context import ServiceContext, open_context
from tests.helpers import TOKEN

# What may follow a write that was sent: the attempt's outcome.
OUTCOMES = {
    Action.CREATED.value,
    Action.ACCEPTED.value,
    Action.LINKED.value,
    Action.FAILED.value,
    Action.RETRY_SCHEDULED.value,
    Action.SUCCEEDED.value,
}
FINAL = {SyncState.SUCCESSFUL.value, SyncState.FAILED.value}


def write_preload(path: Path, accounts: Iterable[tuple[str, str, str]]) -> Path:
    """A preload CSV of (id, email, name) accounts that already exist on the platform."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "email", "forenames", "surname", "title", "gender"])
        for account_id, email, name in accounts:
            writer.writerow([account_id, email, name, "Preloaded", "Ms", "F"])
    return path


def start_simulator(**options: Any) -> RunningSimulator:
    return start_in_thread(SimulatorConfig(token=TOKEN, **options))


def sim_get(url: str, path: str) -> Any:
    response = httpx.get(url + path, timeout=10)
    response.raise_for_status()
    return response.json()


def sim_config(url: str, **changes: float) -> Any:
    response = httpx.post(url + "/_sim/config", json=changes, timeout=10)
    response.raise_for_status()
    return response.json()


def cli_env(
    tmp_path: Path,
    database_url: str,
    api_url: str,
    *,
    user: str = "hr.tester",
    token: str = TOKEN,
    **sync: Any,
) -> dict[str, str]:
    """Environment of a CLI subprocess: its own data/log dirs, the database and the platform."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BENEFITS_TUI_", "BENEFITS_API_"))
    }
    home = tmp_path / "home"
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    env.update(
        BENEFITS_TUI_DATABASE_URL=database_url,
        BENEFITS_API_URL=api_url,
        BENEFITS_API_TOKEN=token,
        COLUMNS="120",
        PYTHONUNBUFFERED="1",
    )
    if not database_url.startswith("postgresql"):  # there the login is the user
        env["BENEFITS_TUI_USER"] = user
    for name, value in sync.items():
        env[f"BENEFITS_TUI_SYNC_{name.upper()}"] = str(value)
    return env


async def _run_blocking(func: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(func, *args, **kwargs)


def open_services(
    database_url: str, api_url: str | None, *, user: str = "hr.tester", **sync: Any
) -> Any:
    """A service context on ``database_url`` talking to the simulator at ``api_url``."""
    settings = load_settings(
        database_url=database_url,
        api_url=api_url,
        api_token=TOKEN,
        user=None if database_url.startswith("postgresql") else user,
    )
    if sync:
        settings.sync = settings.sync.model_copy(update=sync)
    return open_context(settings)


@dataclass
class Outcome:
    """The end state of a run, as the checks of RULES §1.12 see it."""

    requested: int = 0
    states: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    accounts: int = 0
    duplicate_emails: int = 0
    account_ids: dict[int, str] = field(default_factory=dict)

    def assert_ok(self) -> None:
        assert not self.lost, f"{len(self.lost)} lost syncs: {self.lost[:10]}"
        assert not self.problems, "\n".join(self.problems[:20])


async def check_outcome(
    context: ServiceContext,
    api_url: str,
    requested: Iterable[int],
    *,
    preloaded: dict[str, str] | None = None,
) -> Outcome:
    """Check every RULES §1.12 rule on the database and the simulator after a drained run.

    ``preloaded`` maps normalised email -> the preloaded account's id.
    """
    requested = set(requested)
    preloaded = preloaded or {}
    out = Outcome(requested=len(requested))
    async with context.db.read() as session:
        records = {
            r.employee_id: r
            for r in (
                await session.scalars(
                    select(SyncRecord).where(SyncRecord.employee_id.in_(requested))
                )
            ).all()
        }
        emails = dict(
            (
                await session.execute(
                    select(Employee.id, Employee.email).where(Employee.id.in_(requested))
                )
            ).all()
        )
        numbers = dict(
            (
                await session.execute(
                    select(Employee.id, Employee.employee_number).where(Employee.id.in_(requested))
                )
            ).all()
        )
        events: dict[int, list[SyncEvent]] = {}
        for ev in (
            await session.scalars(
                select(SyncEvent).where(SyncEvent.employee_id.in_(requested)).order_by(SyncEvent.id)
            )
        ).all():
            events.setdefault(ev.employee_id, []).append(ev)
        all_links = dict(
            (
                await session.execute(
                    select(SyncRecord.account_id, SyncRecord.employee_id).where(
                        SyncRecord.account_id.is_not(None)
                    )
                )
            ).all()
        )
    stats = await _run_blocking(sim_get, api_url, "/_sim/stats")
    accounts = (await _run_blocking(sim_get, api_url, "/_sim/accounts"))["data"]
    out.accounts = stats["accounts"]
    out.duplicate_emails = stats["duplicate_emails"]
    if stats["duplicate_emails"]:
        out.problems.append(f"duplicate emails on the platform: {stats['duplicate_emails']}")
    by_email: dict[str, list[str]] = {}
    for account in accounts:
        if account.get("email"):
            by_email.setdefault(normalise_email(account["email"]), []).append(account["id"])
    account_ids = {account["id"] for account in accounts}

    for employee_id in sorted(requested):
        number = numbers.get(employee_id, str(employee_id))
        record = records.get(employee_id)
        history = events.get(employee_id, [])
        out.states[record.state if record else "missing"] += 1
        if record is None or record.state not in FINAL:
            out.lost.append(
                f"{number}: {record.state if record else 'no record'} "
                f"({record.phase if record else ''})"
            )
            continue
        if record.state == SyncState.FAILED.value and not (record.reason or "").strip():
            out.problems.append(f"{number}: Failed without a reason")
        if record.lease_owner is not None:
            out.problems.append(f"{number}: finished but still leased to {record.lease_owner}")
        # History: the last word is the outcome, and every write sent has an answer.
        actions = [ev.action for ev in history]
        final_actions = {Action.SUCCEEDED.value, Action.FAILED.value, Action.HR_REJECTED.value}
        finals = [a for a in actions if a in final_actions]
        if not finals or (finals[-1] == Action.SUCCEEDED.value) != (
            record.state == SyncState.SUCCESSFUL.value
        ):
            out.problems.append(
                f"{number}: history {actions} does not end in its state {record.state}"
            )
        pending_send = False
        for action in actions:
            if action == Action.CREATE_SENT.value:
                if pending_send:
                    out.problems.append(
                        f"{number}: a create was sent again with no outcome recorded: {actions}"
                    )
                pending_send = True
            elif action in OUTCOMES:
                pending_send = False
        if pending_send:
            out.problems.append(f"{number}: a create has no outcome in history: {actions}")
        for ev in history:
            if not ev.actor:
                out.problems.append(f"{number}: history event {ev.action} without an actor")
        # Accounts: one per email, linked to the right employee.
        email = emails.get(employee_id)
        if record.state == SyncState.SUCCESSFUL.value:
            if not record.account_id or record.account_id not in account_ids:
                out.problems.append(
                    f"{number}: Successful but account {record.account_id} is not on the platform"
                )
                continue
            out.account_ids[employee_id] = record.account_id
            key = normalise_email(email) if email else None
            holders = by_email.get(key or "", [])
            if key and key in preloaded and record.account_id != preloaded[key]:
                out.problems.append(
                    f"{number}: preloaded account {preloaded[key]} not linked (linked to "
                    f"{record.account_id})"
                )
            if key and len(holders) != 1:
                out.problems.append(f"{number}: {len(holders)} accounts hold {email}: {holders}")
    # One account <-> one employee, and no account created for nobody.
    linked = set(all_links)
    orphans = {
        account["id"]
        for account in accounts
        if account["id"] not in linked
        and normalise_email(account.get("email") or "") not in preloaded
    }
    if orphans:
        out.problems.append(
            f"{len(orphans)} accounts were created but linked to no employee: {sorted(orphans)[:5]}"
        )
    return out
