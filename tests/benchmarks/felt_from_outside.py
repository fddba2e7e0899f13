"""Instant, as felt from outside (RULES §5): the product run as a user runs it, in a real terminal.

Every figure starts when the process is spawned (or a key is written to its terminal) and ends
when the expected text arrives on the terminal (a pseudo-terminal of 120x36 read by this
script), so imports, start-up and drawing all count:

* ``first_rows``: ``benefits-tui`` on a seeded SQLite database of N employees until the first
  employee number is drawn; the same for VisiData opening the same rows as CSV (``vd``),
  both in the same run, alternated;
* ``confirm_sync``: then ``a`` (select all in the tab) and ``s`` until "Confirm Sync" is drawn,
  and the process's peak RSS (VmHWM) after it;
* ``search``: ``/`` and an employee number typed in one burst until that employee's row is the
  only one left (the 150 ms debounce of the search box is included; reported beside it);
* ``version``, ``help``, ``status_json``: wall-clock of ``benefits-tui --version``, ``--help``
  and ``status --json`` (on the N-employee database) to exit.

VisiData is not a dependency of the project: ``--visidata PATH`` names a ``vd`` to use, or the
script creates a virtualenv of its own (``<cache>/visidata-venv``, ``pip install visidata``)
the first time. ``--no-visidata`` skips it. Seeded databases are cached in
``$TMPDIR/benefits-tui-bench`` (seeding 1,000,000 takes a few minutes, once).

Prints ONE JSON object (min and median of ``--repeats`` runs: the machine may be shared) and
exits 1 when a target of RULES §5 is missed.

    python tests/benchmarks/felt_from_outside.py [--employees N] [--repeats R]
        [--visidata PATH | --no-visidata] [--base DIR]

``--base DIR`` runs another checkout of the product (``python -m benefits_tui`` with
PYTHONPATH=DIR) instead of this one, on a database it seeds itself, for before/after figures.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(tempfile.gettempdir()) / "benefits-tui-bench"
COLUMNS, LINES = 120, 36
SEARCH_DEBOUNCE_MS = 150
TARGETS: dict[int, dict[str, float]] = {
    100_000: {
        "version_ms": 150,
        "help_ms": 200,
        "status_json_ms": 300,
        "confirm_sync_ms": 300,
        "peak_rss_mb": 150,
    },
    1_000_000: {
        "first_rows_ms": 1500,
        "search_ms": 300,
        "confirm_sync_ms": 1000,
        "peak_rss_mb": 300,
    },
}


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ terminal
class Terminal:
    """A process on a pseudo-terminal of COLUMNSxLINES; what it draws is read as bytes."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = bytearray()
        self._arrival = self.started  # when the last chunk of output arrived

    def wait_for(self, text: str, timeout: float = 120.0, since: int = 0) -> float:
        """Seconds (perf_counter) when ``text`` first arrived after byte offset ``since``."""
        needle = text.encode()
        deadline = time.perf_counter() + timeout
        while True:
            found = self.output.find(needle, max(0, since - len(needle)))
            if found >= 0:
                return self._arrival
            left = deadline - time.perf_counter()
            if left <= 0 or self.process.poll() is not None:
                tail = bytes(self.output[-300:])
                raise TimeoutError(
                    f"{text!r} never appeared (exit {self.process.poll()}): {tail!r}"
                )
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:
                    chunk = b""
                self._arrival = time.perf_counter()
                self.output += chunk

    def drain(self, seconds: float) -> None:
        """Keep reading (the terminal must not fill up) for ``seconds``."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.master, 1 << 16)
                except OSError:
                    return

    def send(self, data: str) -> float:
        sent = time.perf_counter()
        os.write(self.master, data.encode())
        return sent

    def peak_rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        os.close(self.master)


# ------------------------------------------------------------------ data
def compiled(checkout: Path) -> None:
    """Compile the checkout's bytecode, as ``pip install .`` does at install time.

    An editable install compiles each module the first time it is imported, unless
    ``PYTHONDONTWRITEBYTECODE`` is set (it is on some machines, this one included): then every
    start compiles the app's modules again (about 15 ms of one module alone), which no
    installed copy pays and VisiData, installed by pip, does not pay either.
    """
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(checkout / "benefits_tui")], check=True
    )


def product(base: Path | None) -> tuple[list[str], dict[str, str]]:
    """The command that runs the product, and its environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BENEFITS_", "NO_COLOR", "TEXTUAL"))
    }
    env.update(TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES), LANG="C.UTF-8")
    env["BENEFITS_TUI_USER"] = "bench.hr"
    if base is not None:
        env["PYTHONPATH"] = str(base)
        return [sys.executable, "-m", "benefits_tui"], env
    script = Path(sys.executable).with_name("benefits-tui")
    return ([str(script)] if script.exists() else [sys.executable, "-m", "benefits_tui"]), env


def seeded(employees: int, argv: list[str], env: dict[str, str], tag: str) -> Path:
    """A database of ``employees`` seeded by the product itself (cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"felt-{tag}-{employees}.db"
    if path.exists():
        # Seeded by an older tree: bring its schema to this one's once, here, or every run's
        # fresh copy would migrate at start (1,000,000 employees: tens of seconds counted as
        # "first rows").
        subprocess.run(
            [*argv, "--database-url", f"sqlite+aiosqlite:///{path}", "db", "upgrade"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return path
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    note(f"seeding {employees:,} employees into {path} (once) ...")
    started = time.perf_counter()
    for command in (["db", "upgrade"], ["db", "seed", "--employees", str(employees)]):
        subprocess.run(
            [*argv, "--database-url", f"sqlite+aiosqlite:///{partial}", *command],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    note(f"seeded in {time.perf_counter() - started:.0f} s")
    partial.replace(path)
    return path


def as_csv(database: Path, employees: int) -> Path:
    """The rows of the first tab (as the grid shows them) as CSV, for VisiData."""
    path = CACHE / f"felt-rows-{employees}.csv"
    if path.exists():
        return path
    with sqlite3.connect(database) as db, path.open("w", encoding="utf-8") as out:
        out.write("employee_number,name,email,department,benefits_level,status\n")
        for row in db.execute(
            "SELECT e.employee_number, e.forenames || ' ' || e.surname, e.email, e.department,"
            " e.benefit_level, s.state FROM employees e JOIN sync_records s"
            " ON s.employee_id = e.id ORDER BY e.employee_number"
        ):
            out.write(",".join('"' + str(v or "").replace('"', '""') + '"' for v in row) + "\n")
    return path


def visidata(path: str | None) -> str:
    """A ``vd`` executable: the one given, or one in a virtualenv of the benchmark's own."""
    if path:
        return path
    venv = CACHE / "visidata-venv"
    vd = venv / "bin" / "vd"
    if not vd.exists():
        note(f"installing VisiData into {venv} (the benchmark's own environment) ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "visidata"], check=True)
    return str(vd)


# ------------------------------------------------------------------ runs
def fresh_copy(database: Path, name: str) -> Path:
    work = CACHE / "work"
    work.mkdir(exist_ok=True)
    target = work / name
    for leftover in work.glob(name + "*"):
        leftover.unlink()
    shutil.copyfile(database, target)
    return target


def run_ours(argv: list[str], env: dict[str, str], database: Path, search: str) -> dict[str, Any]:
    copy = fresh_copy(database, "ours.db")
    terminal = Terminal([*argv, "--database-url", f"sqlite+aiosqlite:///{copy}"], env)
    out: dict[str, Any] = {}
    try:
        shown = terminal.wait_for("E000001")
        out["first_rows_ms"] = (shown - terminal.started) * 1000
        terminal.drain(1.5)  # settle: the first screen's follow-up work
        mark = len(terminal.output)
        # Typed in lower case: the search box echoes it, only the grid shows "E0...".
        sent = terminal.send("/" + search.lower())
        found = terminal.wait_for(search, since=mark, timeout=60)
        out["search_ms"] = (found - sent) * 1000
        terminal.drain(0.5)
        mark = len(terminal.output)
        terminal.send("\x15")  # ctrl+u: clear the search; every row comes back
        terminal.wait_for("E000001", since=mark, timeout=60)
        terminal.drain(0.5)
        terminal.send("\x1b")  # escape: back to the grid
        terminal.drain(0.3)
        terminal.send("a")  # select all in the tab
        terminal.drain(0.5)
        mark = len(terminal.output)
        sent = terminal.send("s")
        shown = terminal.wait_for("Confirm Sync", since=mark, timeout=120)
        out["confirm_sync_ms"] = (shown - sent) * 1000
        terminal.drain(0.5)
        out["peak_rss_mb"] = terminal.peak_rss_mb()
    finally:
        terminal.close()
    return out


def run_visidata(vd: str, csv_path: Path) -> dict[str, Any]:
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8")
    terminal = Terminal([vd, str(csv_path)], env)
    try:
        shown = terminal.wait_for("E000001")
        return {"first_rows_ms": (shown - terminal.started) * 1000}
    finally:
        terminal.close()


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> dict[str, float] | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": round(min(values), 1), "median": round(statistics.median(values), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--visidata", help="a vd executable (default: the benchmark's own venv)")
    parser.add_argument("--no-visidata", action="store_true")
    parser.add_argument("--base", type=Path, help="another checkout to measure instead")
    args = parser.parse_args()

    if args.base is not None:
        os.chdir(args.base)  # `python -m` looks in the working directory first
    argv, env = product(args.base)
    compiled(args.base or ROOT)
    tag = "base" if args.base else "head"
    database = seeded(args.employees, argv, env, tag)
    url = f"sqlite+aiosqlite:///{database}"
    vd = None if args.no_visidata else visidata(args.visidata)
    csv_path = as_csv(database, args.employees) if vd else None
    # An employee number in the middle: the search leaves exactly that one.
    search = f"E{args.employees // 2:06d}"

    samples: dict[str, list[float]] = {}

    def add(name: str, value: float | None) -> None:
        if value is not None:
            samples.setdefault(name, []).append(value)

    for repeat in range(args.repeats):
        note(f"run {repeat + 1} of {args.repeats}")
        add("version_ms", timed([*argv, "--version"], env))
        add("help_ms", timed([*argv, "--help"], env))
        add("status_json_ms", timed([*argv, "--database-url", url, "status", "--json"], env))
        if vd and csv_path:
            add("visidata_first_rows_ms", run_visidata(vd, csv_path)["first_rows_ms"])
        for name, value in run_ours(argv, env, database, search).items():
            add(name, value)

    figures = {name: summary(values) for name, values in samples.items()}
    if "search_ms" in samples:
        figures["search_ms_after_debounce"] = summary(
            [v - SEARCH_DEBOUNCE_MS for v in samples["search_ms"]]
        )
    targets = TARGETS.get(args.employees, {})
    met = {
        name: figures[name]["median"] <= limit  # type: ignore[index]
        for name, limit in targets.items()
        if figures.get(name)
    }
    if vd and figures.get("first_rows_ms") and figures.get("visidata_first_rows_ms"):
        ours, theirs = figures["first_rows_ms"], figures["visidata_first_rows_ms"]
        figures["first_rows_vs_visidata"] = {
            "min": round(ours["min"] / theirs["min"], 2),  # type: ignore[index]
            "median": round(ours["median"] / theirs["median"], 2),  # type: ignore[index]
        }
        met["first_rows_no_slower_than_visidata"] = ours["median"] <= theirs["median"]  # type: ignore[index]
    result = {
        "benchmark": "felt_from_outside",
        "product": str(args.base) if args.base else "this checkout",
        "employees": args.employees,
        "repeats": args.repeats,
        "terminal": f"{COLUMNS}x{LINES}",
        "search": search,
        "figures_ms_and_mb": figures,
        "targets": targets,
        "met": met,
        "machine": {
            "nproc": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
        },
    }
    print(json.dumps(result, indent=2))
    sys.exit(0 if all(met.values()) else 1)


if __name__ == "__main__":
    main()
