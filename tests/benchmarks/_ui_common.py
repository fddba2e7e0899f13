"""Shared pieces of the UI benchmarks: a cached seeded database, frame timing, keys.

Times are taken where the user sees them: from posting a key event to the first frame that
Textual composes after the state has changed (headless, Textual still renders every frame;
only the write to the terminal is skipped). A hook on ``App._display`` checks waiting
predicates on each frame and records its time.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.app import App  # noqa: E402

from benefits_tui.config import Role, load_settings  # noqa: E402

CACHE_DIR = Path(tempfile.gettempdir()) / "benefits-tui-bench"
SEED = 0

KEY_CHARS = {"space": " ", "slash": "/", "backspace": None, "escape": None, "enter": "\r"}


def settings_for(url: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {"database_url": url, "user": "bench.hr", "default_role": Role.HR}
    values.update(overrides)
    return load_settings(**values)


async def _seed(path: Path, employees: int) -> float:
    from benefits_tui.services.context import open_context
    from benefits_tui.services.seed import seed_employees

    started = time.perf_counter()
    async with open_context(settings_for(f"sqlite+aiosqlite:///{path}")) as context:
        await seed_employees(context, employees, SEED)
    return time.perf_counter() - started


def seeded_database(employees: int, *, fresh: bool = False) -> tuple[Path, float | None]:
    """A seeded SQLite file for ``employees`` (cached in the temp dir); seconds spent seeding."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached = CACHE_DIR / f"seed-{employees}-{SEED}.db"
    if cached.exists() and not fresh:
        return cached, None
    partial = cached.with_suffix(".partial")
    for leftover in (partial, Path(str(partial) + "-wal"), Path(str(partial) + "-shm")):
        leftover.unlink(missing_ok=True)
    seconds = asyncio.run(_seed(partial, employees))
    partial.replace(cached)
    return cached, seconds


def working_copy(cached: Path, workdir: Path, name: str = "hr.db") -> str:
    """A fresh copy of the seeded file, so runs never see each other's changes."""
    target = workdir / name
    shutil.copyfile(cached, target)
    return f"sqlite+aiosqlite:///{target}"


def in_child(script: str, what: str, *args: str) -> dict[str, Any]:
    """Run ``script --child *args`` in a fresh interpreter (each run starts cold, with its
    own peak memory) and return the JSON it prints last; stop with its stderr if it fails."""
    command = [sys.executable, script, "--child", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def pctl(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index], 2)


class Frames:
    """Records composed frames and resolves waiters whose predicate holds at a frame."""

    def __init__(self, app: App[Any]) -> None:
        self.count = 0
        self.last = 0.0
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            now = time.perf_counter()
            self.count += 1
            self.last = now
            for waiter in list(self._waiters):
                predicate, future = waiter
                if future.done():
                    self._waiters.remove(waiter)
                    continue
                try:
                    ready = predicate()
                except Exception:  # noqa: BLE001 - a predicate over half-built state: not yet
                    ready = False
                if ready:
                    future.set_result(now)
                    self._waiters.remove(waiter)

        app._display = display  # type: ignore[method-assign]

    def when(self, predicate: Callable[[], bool]) -> asyncio.Future[float]:
        """A future set to the time of the first frame at which ``predicate()`` holds."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return future


def press(app: App[Any], key: str) -> float:
    """Post one key event to the app (as a terminal would); returns the time it was sent."""
    char = KEY_CHARS.get(key, key if len(key) == 1 else None)
    event = events.Key(key, char)
    event.set_sender(app)
    sent = time.perf_counter()
    app.post_message(event)
    return sent


def note(text: str) -> None:
    """Progress, on stderr (the JSON goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def wait(app: App[Any], future: asyncio.Future[float], timeout: float = 60.0) -> float:
    """``await future``, but fail at once if the app stops (an exception in it) or on timeout."""
    deadline = time.perf_counter() + timeout
    while not future.done():
        if app._exception is not None or app._exit or not app.is_running:
            future.cancel()
            raise RuntimeError(f"the app stopped: {app._exception!r}")
        if time.perf_counter() > deadline:
            future.cancel()
            raise TimeoutError(f"no frame satisfied the condition within {timeout} s")
        await asyncio.wait({future}, timeout=0.05)
    return future.result()


async def key_to_frame(
    app: App[Any], frames: Frames, key: str, predicate: Callable[[], bool], timeout: float = 60.0
) -> float:
    """Milliseconds from a key to the first frame where ``predicate`` holds."""
    future = frames.when(predicate)
    sent = press(app, key)
    shown = await wait(app, future, timeout)
    return (shown - sent) * 1000


async def idle(app: App[Any], seconds: float = 0.05) -> None:
    """Let timers, workers and the frame after them finish."""
    await asyncio.sleep(seconds)
    await app.workers.wait_for_complete()
    await asyncio.sleep(0.02)
