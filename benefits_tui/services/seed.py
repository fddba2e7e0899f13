"""Deterministic, realistic demo employees (`benefits-tui db seed`).

The same ``count`` and ``seed`` always give the same people, numbered ``E000001`` upwards;
seeding again adds nothing that is already there. On purpose a few per hundred cannot
sync: no email, an invalid email, an email shared by two people, a missing date of birth,
a leaver.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from benefits_tui.db.models import Employee, SyncRecord
from benefits_tui.domain.fields import email_key, search_text
from benefits_tui.domain.states import CreatedVia, SyncState
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.sync.reference import cached_rules
from benefits_tui.services.sync.verdicts import rules_fingerprint, verdict_values

# (forename as written, ASCII for the email), grouped by culture.
FORENAMES: tuple[tuple[str, str], ...] = (
    ("Oliver", "oliver"),
    ("Amelia", "amelia"),
    ("George", "george"),
    ("Isla", "isla"),
    ("Harry", "harry"),
    ("Ava", "ava"),
    ("Noah", "noah"),
    ("Mia", "mia"),
    ("Jack", "jack"),
    ("Grace", "grace"),
    ("Siobhán", "siobhan"),
    ("Seán", "sean"),
    ("Aoife", "aoife"),
    ("Niamh", "niamh"),
    ("Zoë", "zoe"),
    ("Chloé", "chloe"),
    ("François", "francois"),
    ("Hélène", "helene"),
    ("José", "jose"),
    ("Begoña", "begona"),
    ("Jürgen", "jurgen"),
    ("Björn", "bjorn"),
    ("Åsa", "asa"),
    ("Łukasz", "lukasz"),
    ("Zofia", "zofia"),
    ("Małgorzata", "malgorzata"),
    ("Dmitri", "dmitri"),
    ("Анна", "anna"),
    ("Иван", "ivan"),
    ("Priya", "priya"),
    ("Arjun", "arjun"),
    ("Aarav", "aarav"),
    ("Ananya", "ananya"),
    ("Mohammed", "mohammed"),
    ("Fatima", "fatima"),
    ("Aisha", "aisha"),
    ("Omar", "omar"),
    ("Wei", "wei"),
    ("Mei", "mei"),
    ("伟", "wei"),
    ("秀英", "xiuying"),
    ("Hiroshi", "hiroshi"),
    ("Yuki", "yuki"),
    ("さくら", "sakura"),
    ("Min-jun", "minjun"),
    ("지우", "jiwoo"),
    ("Chinedu", "chinedu"),
    ("Adaeze", "adaeze"),
    ("Kwame", "kwame"),
    ("Amara", "amara"),
    ("Tomás", "tomas"),
    ("Inês", "ines"),
    ("Giuseppe", "giuseppe"),
    ("Chiara", "chiara"),
    ("Νίκος", "nikos"),
    ("Ελένη", "eleni"),
    ("Mary-Jane", "maryjane"),
    ("Jean-Luc", "jeanluc"),
    ("Dylan", "dylan"),
    ("Rhiannon", "rhiannon"),
    ("Yasmin", "yasmin"),
    ("Leila", "leila"),
)
SURNAMES: tuple[tuple[str, str], ...] = (
    ("Smith", "smith"),
    ("Jones", "jones"),
    ("Taylor", "taylor"),
    ("Brown", "brown"),
    ("Williams", "williams"),
    ("Wilson", "wilson"),
    ("Evans", "evans"),
    ("Thomas", "thomas"),
    ("O'Brien", "obrien"),
    ("O'Sullivan", "osullivan"),
    ("MacDonald", "macdonald"),
    ("Ó Briain", "obriain"),
    ("Müller", "muller"),
    ("Schröder", "schroder"),
    ("García", "garcia"),
    ("Martínez", "martinez"),
    ("Núñez", "nunez"),
    ("Dubois", "dubois"),
    ("Lefèvre", "lefevre"),
    ("Kowalski", "kowalski"),
    ("Wiśniewska", "wisniewska"),
    ("Nowak", "nowak"),
    ("Иванов", "ivanov"),
    ("Петрова", "petrova"),
    ("Patel", "patel"),
    ("Sharma", "sharma"),
    ("Singh", "singh"),
    ("Khan", "khan"),
    ("Ahmed", "ahmed"),
    ("Al-Sayed", "alsayed"),
    ("Chen", "chen"),
    ("Wang", "wang"),
    ("王", "wang"),
    ("李", "li"),
    ("Nakamura", "nakamura"),
    ("佐藤", "sato"),
    ("Kim", "kim"),
    ("박", "park"),
    ("Okafor", "okafor"),
    ("Mensah", "mensah"),
    ("Adeyemi", "adeyemi"),
    ("Rossi", "rossi"),
    ("Ferreira", "ferreira"),
    ("Papadopoulos", "papadopoulos"),
    ("Παπαδάκη", "papadaki"),
    ("van der Berg", "vanderberg"),
    ("de la Cruz", "delacruz"),
    ("Lloyd-Webber", "lloydwebber"),
    ("Nguyễn", "nguyen"),
    ("Cohen", "cohen"),
    ("Jensen", "jensen"),
    ("Åberg", "aberg"),
)
DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "Engineering": (
        "Software Engineer",
        "Senior Software Engineer",
        "QA Analyst",
        "Engineering Manager",
    ),
    "Finance": ("Accountant", "Payroll Officer", "Financial Analyst", "Finance Director"),
    "People": ("HR Advisor", "Recruiter", "People Partner", "Head of People"),
    "Sales": ("Account Executive", "Sales Manager", "Business Development Rep"),
    "Operations": ("Operations Analyst", "Warehouse Operative", "Logistics Coordinator"),
    "Customer Service": ("Customer Advisor", "Team Leader", "Support Specialist"),
    "Marketing": ("Marketing Executive", "Content Designer", "Brand Manager"),
    "Legal": ("Paralegal", "Legal Counsel"),
}
CITIES = ("London", "Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "Dublin")
STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "Queen's Road")
LEVELS = ("CORE", "CORE", "CORE", "ENHANCED", "ENHANCED", "EXECUTIVE")
DOMAIN = "acme-retail.example"
SEED_ACTOR = "seed"


@dataclass(frozen=True)
class SeedResult:
    requested: int
    inserted: int


def _postcode(rng: random.Random) -> str:
    """A UK-shaped postcode such as ``LM7 3QT`` (the random draws in a fixed order)."""
    area = f"{rng.choice('ABCDEGHKLMNS')}{rng.choice('ABCDEGHKLMNS')}{rng.randrange(1, 20)}"
    inward = f"{rng.randrange(1, 9)}{rng.choice(_INWARD)}{rng.choice(_INWARD)}"
    return f"{area} {inward}"


_INWARD = "ABDEFGHJLNPQRSTUWXYZ"


def _titles_for(gender: str, rng: random.Random) -> str:
    if rng.random() < 0.04:
        return "Dr"
    return {"M": "Mr", "F": rng.choice(("Mrs", "Ms", "Miss")), "X": "Mx", "N": "Mx"}[gender]


def generate(count: int, seed: int = 0, start: int = 1) -> Iterator[dict[str, Any]]:
    """Yield employee rows ``E{start:06d}`` .. for ``count`` people, deterministically."""
    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)
    previous_email: str | None = None
    for index in range(1, start + count):
        forename, forename_ascii = rng.choice(FORENAMES)
        surname, surname_ascii = rng.choice(SURNAMES)
        gender = rng.choices(("M", "F", "X", "N"), weights=(48, 48, 3, 1))[0]
        department = rng.choice(tuple(DEPARTMENTS))
        job_title = rng.choice(DEPARTMENTS[department])
        hourly = department in ("Operations", "Customer Service") and rng.random() < 0.5
        pay = (
            Decimal(rng.randrange(21_000, 140_000, 250))
            if not hourly
            else Decimal(rng.randrange(24_000, 36_000, 50))
        )
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 44))
        start_date = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 21))
        email: str | None = f"{forename_ascii}.{surname_ascii}{index}@{DOMAIN}"
        row: dict[str, Any] = {
            "employee_number": f"E{index:06d}",
            "title": _titles_for(gender, rng),
            "forenames": forename,
            "surname": surname,
            "date_of_birth": birth,
            "gender": gender,
            "job_title": job_title,
            "department": department,
            "start_date": start_date,
            "annual_pay": pay,
            "pay_basis": "Hourly" if hourly else "Salary",
            "pay_frequency": rng.choice(("Monthly", "Monthly", "Monthly", "Weekly", "Four-weekly"))
            if hourly
            else "Monthly",
            "benefit_level": rng.choice(LEVELS) if rng.random() < 0.8 else None,
            "address": {
                "line1": f"{rng.randrange(1, 300)} {rng.choice(STREETS)}",
                "city": rng.choice(CITIES),
                "postcode": _postcode(rng),
                "country": "GB",
            },
            "leave_date": None,
            "leave_reason": None,
        }
        # A few per hundred that cannot sync, on purpose.
        flaw = rng.random()
        if flaw < 0.01:
            email = None  # no email
        elif flaw < 0.02:
            email = f"{forename_ascii}.{surname_ascii}{index}.{DOMAIN}"  # no @: invalid
        elif flaw < 0.03 and previous_email:
            email = previous_email.upper()  # shares the previous person's email
        elif flaw < 0.04:
            row["date_of_birth"] = None
        elif flaw < 0.05:
            row["leave_date"] = today - dt.timedelta(days=rng.randrange(-20, 400))
            row["leave_reason"] = rng.choice(("Resignation", "Retirement", "End of contract"))
        row["email"] = email
        previous_email = email or previous_email
        if index >= start:
            yield row


async def seed_employees(context: ServiceContext, count: int, seed: int = 0) -> SeedResult:
    """Insert ``count`` deterministic employees; existing numbers are left as they are."""
    now = context.clock.now()
    inserted = 0
    chunk: list[dict[str, Any]] = []
    insert_fn = pg_insert if context.db.is_postgresql else sqlite_insert
    # Each employee's pre-flight verdict is stored with it, so Confirm Sync only counts.
    rules = await cached_rules(context)
    fingerprint = rules_fingerprint(rules)

    async def flush() -> int:
        if not chunk:
            return 0
        employees = Employee.__table__

        def insert_chunk(session: Session) -> list[int]:
            # Core, not the ORM: its bulk RETURNING path is quadratic in the batch size.
            connection = session.connection()
            statement = (
                insert_fn(employees)
                .on_conflict_do_nothing(index_elements=["employee_number"])
                .returning(employees.c.id)
            )
            ids = list(connection.execute(statement, chunk).scalars())
            if ids:
                connection.execute(
                    insert(SyncRecord.__table__),
                    [
                        {"employee_id": i, "state": SyncState.NOT_SYNCING.value, "updated_at": now}
                        for i in ids
                    ],
                )
            return ids

        ids = await context.db.run_write(insert_chunk)
        chunk.clear()
        return len(ids)

    for row in generate(count, seed):
        row.update(
            email_key=email_key(row["email"]),
            search_text=search_text(
                row["employee_number"], row["forenames"], row["surname"], row["email"]
            ),
            created_via=CreatedVia.SEED.value,
            created_by=SEED_ACTOR,
            created_at=now,
            updated_at=now,
            revision=1,
        )
        row.update(verdict_values(row, rules, fingerprint))
        chunk.append(row)
        if len(chunk) >= 2000:
            inserted += await flush()
    inserted += await flush()
    return SeedResult(requested=count, inserted=inserted)


async def employee_count(context: ServiceContext) -> int:
    async with context.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Employee)) or 0)
