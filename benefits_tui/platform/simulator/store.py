"""The simulator's state: accounts, async jobs and stored idempotent answers.

SQLite (stdlib ``sqlite3``, WAL) is the source of truth so state survives restarts and kills;
an in-memory email index, loaded at open, keeps look-ups off the disk. Every write that
belongs to one request (the account change and its idempotent answer, or a job's outcome)
is one transaction, so a kill leaves either all of it or none.

All methods are synchronous and meant to be called from one event loop thread.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benefits_tui.platform.contract import (
    MAX_ANNUAL_PAY,
    WRITABLE_FIELDS,
    normalise_email,
    parse_date,
)

IDEMPOTENCY_RETENTION_S = 24 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    email_norm TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_email ON accounts(email_norm);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    due REAL NOT NULL,
    completed REAL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL
);
"""


class EmailInUse(Exception):
    """Another account already holds this email (case-insensitive)."""

    def __init__(self, email: str, holder: str) -> None:
        super().__init__(email)
        self.email = email
        self.holder = holder


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A final answer kept for an idempotency key."""

    fingerprint: str
    status: int
    body: bytes
    created: float


def _now() -> float:
    return time.time()


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Store:
    """Accounts, jobs and idempotent answers, persisted in SQLite (``None`` path = memory)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else ":memory:"
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._in_tx = False
        self._emails: dict[str, list[str]] = {}
        self._count = 0
        self._due: list[tuple[float, str]] = []
        self._load()

    # ----------------------------------------------------------------- lifecycle
    def _load(self) -> None:
        for account_id, email_norm in self._db.execute(
            "SELECT id, email_norm FROM accounts ORDER BY rowid"
        ):
            self._count += 1
            if email_norm:
                self._emails.setdefault(email_norm, []).append(account_id)
        for job_id, due in self._db.execute("SELECT id, due FROM jobs WHERE completed IS NULL"):
            heapq.heappush(self._due, (due, job_id))
        self._db.execute(
            "DELETE FROM idempotency WHERE created < ?", (_now() - IDEMPOTENCY_RETENTION_S,)
        )

    def close(self) -> None:
        """Close the database (further calls fail)."""
        self._db.close()

    def reset(self) -> None:
        """Forget every account, job and stored answer."""
        with self.transaction():
            self._db.execute("DELETE FROM accounts")
            self._db.execute("DELETE FROM jobs")
            self._db.execute("DELETE FROM idempotency")
        self._emails.clear()
        self._due.clear()
        self._count = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit (nested calls join the outer one)."""
        if self._in_tx:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            self._in_tx = False
            self._reload_index()
            raise
        self._db.execute("COMMIT")
        self._in_tx = False

    def _reload_index(self) -> None:
        self._emails.clear()
        self._count = 0
        self._due.clear()
        self._load()

    # ------------------------------------------------------------------ accounts
    def find_by_email(self, email: str) -> list[dict[str, Any]]:
        """Visible accounts holding *email* (case-insensitive), oldest first."""
        ids = self._emails.get(normalise_email(email))
        if not ids:
            return []
        return [a for a in (self.get_account(i) for i in ids) if a is not None]

    def email_holder(self, email: str, *, besides: str | None = None) -> str | None:
        """The id of an account other than *besides* holding *email*, if any."""
        for account_id in self._emails.get(normalise_email(email), ()):
            if account_id != besides:
                return account_id
        return None

    def get_account(self, account_id: str) -> dict[str, Any] | None:
        """The account, or None."""
        row = self._db.execute("SELECT data FROM accounts WHERE id = ?", (account_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def list_accounts(
        self,
        *,
        limit: int,
        after: str | None = None,
        email: str | None = None,
        updated_since: str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to *limit* accounts in ``id`` order after *after*, and whether more follow.

        *email* (normalised) and *updated_since* (the store's UTC timestamp format, inclusive)
        filter the listing.
        """
        clauses: list[str] = []
        args: list[Any] = []
        if after is not None:
            clauses.append("id > ?")
            args.append(after)
        if email is not None:
            clauses.append("email_norm = ?")
            args.append(email)
        if updated_since is not None:
            clauses.append("json_extract(data, '$.updated_at') >= ?")
            args.append(updated_since)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(
            f"SELECT data FROM accounts {where} ORDER BY id LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        return [json.loads(r[0]) for r in rows[:limit]], len(rows) > limit

    def all_accounts(self) -> list[dict[str, Any]]:
        """Every account, in creation order."""
        return [
            json.loads(r[0]) for r in self._db.execute("SELECT data FROM accounts ORDER BY rowid")
        ]

    def create_account(
        self, fields: Mapping[str, Any], *, account_id: str | None = None
    ) -> dict[str, Any]:
        """Insert a new active account; raises :class:`EmailInUse`."""
        email = fields.get("email")
        if isinstance(email, str):
            holder = self.email_holder(email)
            if holder is not None:
                raise EmailInUse(email, holder)
        now = _iso(_now())
        account: dict[str, Any] = {"id": account_id or new_account_id()}
        for name in WRITABLE_FIELDS:
            account[name] = fields.get(name)
        account.update(
            status="active",
            leave_date=None,
            termination_reason=None,
            created_at=now,
            updated_at=now,
        )
        self._insert(account)
        return account

    def _insert(self, account: dict[str, Any]) -> None:
        email = account.get("email")
        email_norm = normalise_email(email) if isinstance(email, str) and email else None
        with self.transaction():
            self._db.execute(
                "INSERT INTO accounts (id, email_norm, data) VALUES (?, ?, ?)",
                (account["id"], email_norm, json.dumps(account, ensure_ascii=False)),
            )
        self._count += 1
        if email_norm:
            self._emails.setdefault(email_norm, []).append(account["id"])

    def update_account(self, account_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply a partial update (None: no such account); raises :class:`EmailInUse`."""
        account = self.get_account(account_id)
        if account is None:
            return None
        new_email = changes.get("email")
        if isinstance(new_email, str):
            holder = self.email_holder(new_email, besides=account_id)
            if holder is not None:
                raise EmailInUse(new_email, holder)
        account.update(changes)
        account["updated_at"] = _iso(_now())
        self._save(account_id, account)
        return account

    def terminate_account(
        self, account_id: str, leave_date: str, reason: str
    ) -> dict[str, Any] | None:
        """Mark the account terminated from *leave_date*; None when it does not exist."""
        account = self.get_account(account_id)
        if account is None:
            return None
        account.update(
            status="terminated",
            leave_date=leave_date,
            termination_reason=reason,
            updated_at=_iso(_now()),
        )
        self._save(account_id, account)
        return account

    def _save(self, account_id: str, account: dict[str, Any]) -> None:
        email = account.get("email")
        email_norm = normalise_email(email) if isinstance(email, str) and email else None
        old = self._db.execute(
            "SELECT email_norm FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        with self.transaction():
            self._db.execute(
                "UPDATE accounts SET email_norm = ?, data = ? WHERE id = ?",
                (email_norm, json.dumps(account, ensure_ascii=False), account_id),
            )
        old_norm = old[0] if old else None
        if old_norm != email_norm:
            if old_norm and account_id in self._emails.get(old_norm, []):
                self._emails[old_norm].remove(account_id)
                if not self._emails[old_norm]:
                    del self._emails[old_norm]
            if email_norm:
                self._emails.setdefault(email_norm, []).append(account_id)

    @property
    def account_count(self) -> int:
        """How many accounts exist (visible ones; pending creates are not accounts yet)."""
        return self._count

    def duplicate_email_count(self) -> int:
        """How many emails (case-insensitive) more than one account holds."""
        return sum(1 for ids in self._emails.values() if len(ids) > 1)

    # ------------------------------------------------------------------- preload
    def preload_csv(self, path: str | Path) -> int:
        """Load pre-existing accounts from a CSV, skipping rows already loaded; the rows added."""
        added = 0
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or ())
            missing = {"email", "forenames", "surname"} - columns
            if missing:
                raise ValueError(
                    f"preload CSV {path} lacks column(s): {', '.join(sorted(missing))}"
                )
            with self.transaction():
                for line, row in enumerate(reader, start=2):
                    account = _account_from_row(row, line)
                    if self._db.execute(
                        "SELECT 1 FROM accounts WHERE id = ?", (account["id"],)
                    ).fetchone():
                        continue
                    self._insert(account)
                    added += 1
        return added

    # ---------------------------------------------------------------------- jobs
    def add_job(
        self, kind: str, account_id: str | None, payload: Mapping[str, Any], due: float
    ) -> dict[str, Any]:
        """Record a pending asynchronous write that completes at *due* (epoch seconds)."""
        job_id = "job_" + uuid.uuid4().hex[:20]
        created = _now()
        with self.transaction():
            self._db.execute(
                "INSERT INTO jobs (id, kind, account_id, payload, status, created, due) VALUES "
                "(?,?,?,?,?,?,?)",
                (
                    job_id,
                    kind,
                    account_id,
                    json.dumps(payload, ensure_ascii=False),
                    "pending",
                    created,
                    due,
                ),
            )
        heapq.heappush(self._due, (due, job_id))
        return self.get_job(job_id) or {}

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """The job as the API shows it, or None."""
        row = self._db.execute(
            "SELECT id, kind, account_id, status, created, due, completed, error FROM jobs WHERE "
            "id = ?",
            (job_id,),
        ).fetchone()
        if row is None:
            return None
        job_id, kind, account_id, status, created, due, completed, error = row
        if status == "pending" and _now() >= created + (due - created) / 2:
            status = "in_progress"
        job: dict[str, Any] = {
            "id": job_id,
            "kind": kind,
            "status": status,
            "created_at": _iso(created),
        }
        if account_id:
            job["account_id"] = account_id
        if completed is not None:
            job["completed_at"] = _iso(completed)
        if error:
            job["error"] = json.loads(error)
        return job

    def next_due(self) -> float | None:
        """When the earliest pending job is due, if any."""
        return self._due[0][0] if self._due else None

    def pop_due_job(self, now: float) -> tuple[str, str, str | None, dict[str, Any]] | None:
        """The next job due by *now* and still pending: (id, kind, account_id, payload)."""
        while self._due and self._due[0][0] <= now:
            _due, job_id = heapq.heappop(self._due)
            row = self._db.execute(
                "SELECT kind, account_id, payload FROM jobs WHERE id = ? AND completed IS NULL",
                (job_id,),
            ).fetchone()
            if row is not None:
                return job_id, row[0], row[1], json.loads(row[2])
        return None

    def finish_job(
        self, job_id: str, *, account_id: str | None, error: Mapping[str, Any] | None
    ) -> None:
        """Record a job's outcome (call inside the transaction that applied it)."""
        self._db.execute(
            "UPDATE jobs SET status = ?, account_id = COALESCE(?, account_id), completed = ?, "
            "error = ? WHERE id = ?",
            (
                "error" if error else "complete",
                account_id,
                _now(),
                json.dumps(error, ensure_ascii=False) if error else None,
                job_id,
            ),
        )

    # ------------------------------------------------------------- idempotency
    def get_answer(self, key: str) -> StoredAnswer | None:
        """The stored answer for *key* if younger than 24 h."""
        row = self._db.execute(
            "SELECT fingerprint, status, body, created FROM idempotency WHERE key = ?", (key,)
        ).fetchone()
        if row is None or row[3] < _now() - IDEMPOTENCY_RETENTION_S:
            return None
        return StoredAnswer(row[0], row[1], row[2].encode("utf-8"), row[3])

    def put_answer(self, key: str, fingerprint: str, status: int, body: bytes) -> None:
        """Store the first final answer for *key* (replaces an expired one)."""
        self._db.execute(
            "INSERT OR REPLACE INTO idempotency (key, fingerprint, status, body, created) VALUES "
            "(?,?,?,?,?)",
            (key, fingerprint, status, body.decode("utf-8"), _now()),
        )


def new_account_id() -> str:
    """A fresh platform account id."""
    return "acc_" + uuid.uuid4().hex[:20]


def _account_from_row(row: Mapping[str, str | None], line: int) -> dict[str, Any]:
    values = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
    email = values.get("email") or ""
    account_id = values.get("id") or (
        "acc_pre_" + hashlib.sha256(f"{line}:{normalise_email(email)}".encode()).hexdigest()[:16]
    )
    account: dict[str, Any] = {"id": account_id}
    for name in WRITABLE_FIELDS:
        value = values.get(name) or None
        if name == "annual_pay" and value is not None:
            # Only a pay the API itself would hold: "nan", "inf" or "1e999" would make the
            # simulator answer NaN or Infinity, which is not JSON.
            try:
                pay = float(value)
            except ValueError:
                pay = None
            account[name] = pay if pay is not None and 0 <= pay < MAX_ANNUAL_PAY else None
        elif name == "date_of_birth":
            account[name] = value if parse_date(value) is not None else None
        elif name == "address":
            account[name] = None
        else:
            account[name] = value
    status = values.get("status") or "active"
    now = _iso(_now())
    account.update(
        status=status if status in ("active", "terminated") else "active",
        leave_date=leave_date if parse_date(leave_date := values.get("leave_date")) else None,
        termination_reason=None,
        created_at=now,
        updated_at=now,
    )
    return account
