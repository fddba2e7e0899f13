"""The app at scale (RULES §5, Scale): N employees, measured through Textual's pilot, headless.

Seeds N employees (all Not syncing: the largest possible first tab) into a SQLite file cached
in the temp dir, then runs, each in its own process (clean peak RSS) and ``--repeats`` times:

* ``ours``: ``BenefitsApp(settings)`` as the CLI builds it (it opens the database itself),
  at 120x36. Every figure is from posting a key (or constructing the app) to the first frame
  Textual composes that shows the result:
  first screen (rows painted), a search keystroke (minus the debounce, reported beside it),
  clearing the search (all rows back), tick (space), select all (a), tab switch (2, 1, and 1
  when its IDs must be reloaded), cursor move, detail pane after a cursor move (minus its
  debounce), peak RSS.
* ``naive``: Textual's stock ``DataTable`` loaded with all N rows (one SELECT, ``add_rows``);
  tick = ``update_cell_at`` of the checkbox column; select all = update every row's checkbox
  cell (stopped at ``--select-all-budget`` seconds and extrapolated: then
  ``select_all_extrapolated`` is true); search = filter the rows in memory and reload the table
  (no debounce).

Prints ONE JSON object: medians (pooled samples) and p90s, naive/ours ratios, the targets of
RULES §5 and whether each is met (exit status 1 when one is missed).

    /work/venv/bin/python tests/benchmarks/ui_scale.py [--employees N] [--repeats R]
        [--samples K] [--no-naive] [--fresh]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from tests.benchmarks._ui_common import (
    Frames,
    idle,
    in_child,
    key_to_frame,
    machine,
    median,
    note,
    pctl,
    peak_rss_mb,
    press,
    seeded_database,
    settings_for,
    wait,
    working_copy,
)

SIZE = (120, 36)
SEARCH_CHARS = "aezq1xmwo7"
TARGETS = {  # RULES §5 (tick: one frame at 60 Hz)
    "first_screen_ms": 1000.0,
    "search_ms_after_debounce": 100.0,
    "tick_ms": 16.0,
    "select_all_ms": 100.0,
    "peak_rss_mb": 300.0,
}


# ---------------------------------------------------------------------- ours
def rows_ready(table: Any) -> bool:
    """Every row in the window on screen is fetched for the table's current IDs."""
    if not table.loaded:
        return False
    top = int(table.scroll_y)
    for employee_id in table.ids[top : top + table.page_size]:
        cached = table._rows.get(employee_id)
        if cached is None or cached[0] != table._generation or cached[1] is None:
            return False
    return True


async def run_ours(url: str, samples: int) -> dict[str, Any]:
    from benefits_tui.app.app import BenefitsApp
    from benefits_tui.app.widgets.employee_table import EmployeeTable
    from benefits_tui.app.widgets.search_bar import SearchBar
    from benefits_tui.domain.states import SyncState

    rss_at_start = peak_rss_mb()
    out: dict[str, Any] = {}
    started = time.perf_counter()
    app = BenefitsApp(settings_for(url), start_worker=False, poll_seconds=None)
    frames = Frames(app)

    def first_rows() -> bool:
        screen = app.main_screen
        assert screen is not None
        return (
            screen is not None
            and bool(screen.tables)
            and bool(screen.table.ids)
            and rows_ready(screen.table)
        )

    first = frames.when(first_rows)
    async with app.run_test(size=SIZE):
        shown = await wait(app, first, 120)
        out["first_screen_ms"] = (shown - started) * 1000
        await idle(app, 0.3)
        screen = app.main_screen
        assert screen is not None
        table = screen.table
        out["rows_in_tab"] = len(table.ids)
        detail_debounce = screen.detail_debounce
        search_debounce = screen.search_debounce
        out["detail_debounce_ms"] = detail_debounce * 1000
        out["search_debounce_ms"] = search_debounce * 1000

        # cursor move, and the detail pane following it
        cursor, detail = [], []
        for n in range(samples):
            key = "down" if n % 4 != 3 else "up"
            target = table.cursor + (1 if key == "down" else -1)
            moved = frames.when(lambda: table.cursor == target)
            shown_detail = frames.when(
                lambda: (
                    screen.detail.employee_id is not None
                    and screen.detail.employee_id == table.ids[target]
                )
            )
            sent = press(app, key)
            cursor.append((await wait(app, moved, 30) - sent) * 1000)
            detail.append(
                (await wait(app, shown_detail, 30) - sent) * 1000 - detail_debounce * 1000
            )
            await idle(app, 0.05)
        out["cursor_move_ms"] = cursor
        out["detail_ms_after_debounce"] = detail

        # tick
        ticks = []
        for _ in range(samples):
            before = table.ticks.count
            ticks.append(
                await key_to_frame(app, frames, "space", lambda: table.ticks.count != before)
            )
            await idle(app, 0.03)
        out["tick_ms"] = ticks
        note("ours: ticks done")
        if table.ticks.count:
            table.clear_ticks()
            await idle(app)

        # select all in the filter (and untick all)
        select_all = []
        for _ in range(max(2, samples // 2)):
            before = table.ticks.all
            select_all.append(
                await key_to_frame(app, frames, "a", lambda: table.ticks.all != before)
            )
            await idle(app, 0.05)
        out["select_all_ms"] = select_all
        out["select_all_count"] = len(table.ids)
        if table.ticks.count:
            table.clear_ticks()
            await idle(app)

        # search: one keystroke from an empty box, then clearing it
        await key_to_frame(app, frames, "slash", lambda: isinstance(app.focused, SearchBar))
        search, clear, matches = [], [], []
        for n in range(samples):
            char = SEARCH_CHARS[n % len(SEARCH_CHARS)]
            old = table.ids
            ms = await key_to_frame(
                app,
                frames,
                char,
                lambda: (
                    table.search == char
                    and table.ids is not old
                    and not table._loading
                    and rows_ready(table)
                ),
            )
            search.append(ms - search_debounce * 1000)
            matches.append(len(table.ids))
            await idle(app, 0.05)
            old = table.ids
            ms = await key_to_frame(
                app,
                frames,
                "backspace",
                lambda: (
                    table.search == ""
                    and table.ids is not old
                    and not table._loading
                    and rows_ready(table)
                ),
            )
            clear.append(ms - search_debounce * 1000)
            await idle(app, 0.05)
        out["search_ms_after_debounce"] = search
        out["search_matches"] = matches
        out["search_clear_ms_after_debounce"] = clear
        await key_to_frame(app, frames, "escape", lambda: isinstance(app.focused, EmployeeTable))
        await idle(app)

        # tab switch: 2 (In progress), 1 (back), and 1 when its IDs must be reloaded
        tables = screen.tables
        to_2: list[float] = []
        to_1: list[float] = []
        to_1_reload: list[float] = []
        for n in range(samples):
            to_2.append(
                await key_to_frame(
                    app,
                    frames,
                    "2",
                    lambda: (
                        screen.active is SyncState.IN_PROGRESS
                        and tables[SyncState.IN_PROGRESS].loaded
                        and not tables[SyncState.IN_PROGRESS]._loading
                    ),
                )
            )
            await idle(app, 0.05)
            home = tables[SyncState.NOT_SYNCING]
            reload = n % 2 == 1
            old = home.ids
            if reload:
                home.stale = True  # as after a change seen while the tab was hidden
            to_1_sample = await key_to_frame(
                app,
                frames,
                "1",
                lambda: (
                    screen.active is SyncState.NOT_SYNCING
                    and rows_ready(home)
                    and (home.ids is not old or not reload)
                    and not home._loading
                ),
            )
            (to_1_reload if reload else to_1).append(to_1_sample)
            await idle(app, 0.05)
        out["tab_switch_ms"] = to_2 + to_1
        out["tab_switch_reload_ms"] = to_1_reload
        out["frames"] = frames.count
    out["rss_at_start_mb"] = rss_at_start
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# ---------------------------------------------------------------------- naive
async def run_naive(url: str, samples: int, budget: float) -> dict[str, Any]:
    from sqlalchemy import select
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.coordinate import Coordinate
    from textual.widgets import DataTable, Input

    from benefits_tui.db.models import Employee
    from benefits_tui.domain.states import SyncState
    from benefits_tui.services.context import open_context
    from benefits_tui.services.queries import EmployeeFilter, filtered

    rss_at_start = peak_rss_mb()

    class NaiveApp(App[None]):
        CSS = "DataTable { height: 1fr; } Input { height: 1; border: none; padding: 0; }"
        BINDINGS = [
            Binding("space", "tick", "Tick"),
            Binding("a", "select_all", "All"),
            Binding("slash", "focus_search", "Search"),
            Binding("escape", "focus_table", "Grid"),
        ]

        def __init__(self) -> None:
            super().__init__()
            self.rows: list[tuple[str, tuple[str, ...]]] = []
            self.loaded = False
            self.ticks = 0
            self.all = False
            self.select_all_runs = 0
            self.select_all_done = 0
            self.select_all_seconds = 0.0
            self.search_done: str | None = None
            self.bench_context: Any = None

        def compose(self) -> ComposeResult:
            yield Input(placeholder="Search", id="search")
            yield DataTable(id="table", cursor_type="row")

        async def on_mount(self) -> None:
            self.bench_context = open_context(settings_for(url))
            context = await self.bench_context.__aenter__()
            statement = filtered(
                select(
                    Employee.employee_number,
                    Employee.forenames,
                    Employee.surname,
                    Employee.email,
                    Employee.department,
                    Employee.benefit_level,
                    Employee.search_text,
                ),
                EmployeeFilter(SyncState.NOT_SYNCING),
                context.clock.today(),
            ).order_by(Employee.employee_number)
            async with context.db.read() as session:
                result = (await session.execute(statement)).all()
            self.rows = [
                (
                    r.search_text,
                    (
                        "☐",
                        r.employee_number,
                        f"{r.forenames} {r.surname}",
                        r.email or "",
                        r.department or "",
                        r.benefit_level or "",
                    ),
                )
                for r in result
            ]
            table = self.query_one(DataTable)
            table.add_columns(" ", "Number", "Name", "Email", "Department", "Benefits Level")
            table.add_rows(cells for _, cells in self.rows)
            table.focus()
            self.loaded = True

        async def on_unmount(self) -> None:
            if self.bench_context is not None:
                await self.bench_context.__aexit__(None, None, None)

        def action_tick(self) -> None:
            table = self.query_one(DataTable)
            coordinate = Coordinate(table.cursor_row, 0)
            ticked = table.get_cell_at(coordinate) == "☑"
            table.update_cell_at(coordinate, "☐" if ticked else "☑")
            self.ticks += 1

        def action_select_all(self) -> None:
            table = self.query_one(DataTable)
            value = "☐" if self.all else "☑"
            started = time.perf_counter()
            done = 0
            for done in range(1, table.row_count + 1):
                table.update_cell_at(Coordinate(done - 1, 0), value)
                if done % 200 == 0 and time.perf_counter() - started > budget:
                    break
            self.select_all_done = done
            self.select_all_seconds = time.perf_counter() - started
            self.all = not self.all
            self.select_all_runs += 1

        def action_focus_search(self) -> None:
            self.query_one(Input).focus()

        def action_focus_table(self) -> None:
            self.query_one(DataTable).focus()

        def on_input_changed(self, event: Input.Changed) -> None:
            words = event.value.casefold().split()
            table = self.query_one(DataTable)
            table.clear()
            table.add_rows(cells for text, cells in self.rows if all(w in text for w in words))
            self.search_done = event.value

    out: dict[str, Any] = {}
    started = time.perf_counter()
    app = NaiveApp()
    frames = Frames(app)
    first = frames.when(lambda: app.loaded)
    async with app.run_test(size=SIZE):
        shown = await wait(app, first, 600)
        out["first_screen_ms"] = (shown - started) * 1000
        note("naive: first screen")
        await idle(app, 0.3)
        table = app.query_one(DataTable)
        out["rows_in_tab"] = table.row_count

        cursor = []
        for n in range(samples):
            key = "down" if n % 4 != 3 else "up"
            before = table.cursor_row
            cursor.append(await key_to_frame(app, frames, key, lambda: table.cursor_row != before))
            await idle(app, 0.03)
        out["cursor_move_ms"] = cursor

        ticks = []
        for _ in range(samples):
            before = app.ticks
            ticks.append(await key_to_frame(app, frames, "space", lambda: app.ticks != before))
            await idle(app, 0.03)
        out["tick_ms"] = ticks
        note("naive: ticks done")

        select_all, extrapolated = [], False
        for _ in range(2):
            before = app.select_all_runs
            ms = await key_to_frame(
                app,
                frames,
                "a",
                lambda: app.select_all_runs != before,
                timeout=budget + 600,
            )
            if app.select_all_done < table.row_count:
                extrapolated = True
                ms += app.select_all_seconds * (table.row_count / app.select_all_done - 1) * 1000
            select_all.append(ms)
            out["select_all_rows_done_in_budget"] = app.select_all_done
            await idle(app, 0.1)
        out["select_all_ms"] = select_all
        out["select_all_extrapolated"] = extrapolated
        note("naive: select all done")
        out["select_all_budget_s"] = budget

        await key_to_frame(app, frames, "slash", lambda: isinstance(app.focused, Input))
        note("naive: search focused")
        search, clear = [], []
        for n in range(max(1, min(samples, 3))):
            char = SEARCH_CHARS[n % len(SEARCH_CHARS)]
            search.append(
                await key_to_frame(app, frames, char, lambda: app.search_done == char, timeout=600)
            )
            await idle(app, 0.05)
            clear.append(
                await key_to_frame(
                    app, frames, "backspace", lambda: app.search_done == "", timeout=600
                )
            )
            await idle(app, 0.05)
        out["search_ms"] = search
        out["search_clear_ms"] = clear
        out["frames"] = frames.count
    out["rss_at_start_mb"] = rss_at_start
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# ---------------------------------------------------------------------- driver
def child(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ui-scale-") as workdir:
        url = working_copy(Path(args.db), Path(workdir))
        if args.child == "ours":
            result = asyncio.run(run_ours(url, args.samples))
        else:
            result = asyncio.run(run_naive(url, args.samples, args.select_all_budget))
    print(json.dumps(result))


def spawn(kind: str, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    return in_child(
        __file__,
        f"{kind} run",
        kind,
        "--db",
        str(db),
        "--samples",
        str(args.samples),
        "--select-all-budget",
        str(args.select_all_budget),
    )


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        if isinstance(values[0], list):
            pooled = [v for value in values for v in value]
            summary[key] = median(pooled)
            summary[key.replace("_ms", "_p90_ms") if "_ms" in key else key + "_p90"] = pctl(
                pooled, 90
            )
        elif isinstance(values[0], bool):
            summary[key] = any(values)
        elif isinstance(values[0], (int, float)):
            summary[key] = median([float(v) for v in values])
            if key in ("first_screen_ms", "peak_rss_mb"):
                summary[key + "_runs"] = [round(float(v), 1) for v in values]
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3, help="processes per variant")
    parser.add_argument("--naive-repeats", type=int, default=None, help="default: --repeats")
    parser.add_argument(
        "--samples", type=int, default=10, help="key presses per figure per process"
    )
    parser.add_argument(
        "--select-all-budget", type=float, default=5.0, help="seconds before extrapolating"
    )
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument(
        "--fresh", action="store_true", help="seed again instead of using the cache"
    )
    parser.add_argument("--child", choices=["ours", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    db, seed_seconds = seeded_database(args.employees, fresh=args.fresh)
    ours = summarise([spawn("ours", db, args) for _ in range(args.repeats)])
    report: dict[str, Any] = {
        "benchmark": "ui_scale",
        "employees": args.employees,
        "terminal": f"{SIZE[0]}x{SIZE[1]}",
        "repeats": args.repeats,
        "samples_per_run": args.samples,
        "seed_seconds": round(seed_seconds, 1) if seed_seconds is not None else "cached",
        "machine": machine(),
        "ours": ours,
    }
    if not args.no_naive:
        naive = summarise(
            [spawn("naive", db, args) for _ in range(args.naive_repeats or args.repeats)]
        )
        report["naive"] = naive
        pairs = {
            "first_screen": ("first_screen_ms", "first_screen_ms"),
            "search": ("search_ms", "search_ms_after_debounce"),
            "search_clear": ("search_clear_ms", "search_clear_ms_after_debounce"),
            "tick": ("tick_ms", "tick_ms"),
            "select_all": ("select_all_ms", "select_all_ms"),
            "cursor_move": ("cursor_move_ms", "cursor_move_ms"),
            "peak_rss": ("peak_rss_mb", "peak_rss_mb"),
        }
        report["naive_over_ours"] = {
            name: round(naive[n] / ours[o], 1)
            if naive.get(n) and ours.get(o) and ours[o] > 0
            else None
            for name, (n, o) in pairs.items()
        }
    report["targets"] = {
        key: {
            "target": target,
            "value": ours.get(key),
            "met": ours.get(key) is not None and ours[key] <= target,
        }
        for key, target in TARGETS.items()
    }
    report["all_targets_met"] = all(t["met"] for t in report["targets"].values())
    print(json.dumps(report, indent=2))
    sys.exit(0 if report["all_targets_met"] else 1)


if __name__ == "__main__":
    main()
