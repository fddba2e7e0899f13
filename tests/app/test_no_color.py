"""``NO_COLOR=1`` and the ANSI themes (``--theme ansi-dark``): every character stays legible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benefits_tui.app.app import BenefitsApp
from tests.app.conftest import context_for
from tests.app.snapshot_data import snapshot_app
from tests.helpers import Simulator, add_people, piloted, settle


def test_ansi_dark_snapshot(
    snap_compare: Any, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = snapshot_app(template, tmp_path, monkeypatch, theme="ansi-dark")
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def test_no_color_ansi_dark_snapshot(
    snap_compare: Any, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = snapshot_app(template, tmp_path, monkeypatch, theme="ansi-dark")
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


@pytest.mark.parametrize("theme", ["ansi-dark", "ansi-light", "textual-dark"])
async def test_no_color_never_draws_text_in_its_background_colour(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, theme: str
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # read (and removed) by the app as it is built
    async with context_for(sqlite_url, Simulator()) as context:
        await add_people(context, 5)
        app = BenefitsApp(services=context, start_worker=False, poll_seconds=None, theme=theme)
        async with piloted(app, (80, 24)) as pilot:
            await settle(pilot)
            hidden = []
            for y, strip in enumerate(app.screen._compositor.render_strips()):
                for segment in strip:
                    style = segment.style
                    if not segment.text.strip() or style is None or style.reverse:
                        continue
                    color = style.color
                    # "default on default" is the terminal's own colours: legible.
                    if color is not None and not color.is_default and color == style.bgcolor:
                        hidden.append((y, segment.text, str(style)))
            assert not hidden, hidden[:5]
            assert "Test1 Person" in "".join(
                s.text for strip in app.screen._compositor.render_strips() for s in strip
            )
