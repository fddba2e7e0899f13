"""Save ``assets/screenshot-main.svg``: the main screen on seeded demo data.

Run: ``python -m tests.app.screenshot [PATH]`` (from the repository root).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from benefits_tui.app.app import BenefitsApp
from benefits_tui.services.clock import Clock
from benefits_tui.services.demo import prepare_demo
from benefits_tui.services.sync.worker import SyncWorker
from tests.app.conftest import context_for
from tests.helpers import Simulator, drain, piloted, press

SIZE = (120, 34)


async def main(path: Path) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/demo.db"
        sim = Simulator()
        async with context_for(url, sim, user="j.hughes") as context:
            context.clock = Clock()  # a real clock: the worker's backoff waits on it
            await prepare_demo(context, 400, seed=0, presync_share=0.25)
            await drain(SyncWorker(context), 60)
            await prepare_demo(context, 400, seed=0, presync_share=0.02)  # a few still In progress
            app = BenefitsApp(services=context, start_worker=False, poll_seconds=None)
            async with piloted(app, SIZE) as pilot:
                await press(pilot, "j", "j", "space", "j", "space", "j", "j", "space")
                app.save_screenshot(filename=path.name, path=str(path.parent))
    print(f"saved {path}")


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "assets/screenshot-main.svg").resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
