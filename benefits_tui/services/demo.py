"""Demo data (``benefits-tui demo``, RULES §4): seeded employees, pre-existing Benefits accounts.

About one employee in twenty already has an account on the platform (same email, sometimes
written in another case), so the first sync links to it instead of creating one (RULES §1.4).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from benefits_tui.domain.states import SyncState
from benefits_tui.platform.contract import WRITABLE_FIELDS
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.queries import EmployeeFilter, list_ids
from benefits_tui.services.seed import generate, seed_employees
from benefits_tui.services.sync.requests import Selection, request_sync

# The account fields a pre-existing account carries (no address: the CSV keeps it flat).
PRELOAD_COLUMNS = tuple(name for name in WRITABLE_FIELDS if name != "address")


def write_preload_csv(path: str | Path, count: int, seed: int = 0, every: int = 20) -> int:
    """Accounts for about 1 in ``every`` of the ``count`` seeded employees; returns how many."""
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=PRELOAD_COLUMNS)
        writer.writeheader()
        for index, row in enumerate(generate(count, seed), start=1):
            email = row.get("email")
            if index % every != 7 or not email or "@" not in email or row.get("leave_date"):
                continue
            # Accounts made before the HR integration: no external ID, and some emails in
            # another case (the look-up is case-insensitive).
            writer.writerow(
                {
                    "external_id": "",
                    "email": email.upper() if written % 3 == 0 else email,
                    "title": row["title"] or "",
                    "forenames": row["forenames"],
                    "surname": row["surname"],
                    "date_of_birth": row["date_of_birth"].isoformat()
                    if row["date_of_birth"]
                    else "",
                    "gender": row["gender"] or "",
                    "annual_pay": str(row["annual_pay"]),
                    "pay_basis": row["pay_basis"] or "",
                    "pay_frequency": row["pay_frequency"] or "",
                    "benefit_level": row["benefit_level"] or "",
                    "job_title": row["job_title"] or "",
                }
            )
            written += 1
    return written


@dataclass(frozen=True)
class DemoData:
    employees: int
    requested: int


async def prepare_demo(
    context: ServiceContext, count: int, seed: int = 0, presync_share: float = 0.2
) -> DemoData:
    """Seed ``count`` employees and ask for the first sync of a share of them.

    The share gives every tab something to show within seconds; the rest wait in Not
    syncing for the manual first sync the article describes.
    """
    await seed_employees(context, count, seed)
    requested = 0
    if presync_share > 0:
        ids = await list_ids(context, EmployeeFilter(SyncState.NOT_SYNCING))
        chosen = ids[: int(len(ids) * presync_share)]
        if chosen:
            result = await request_sync(context, Selection.of(chosen))
            requested = result.sent
    return DemoData(employees=count, requested=requested)
