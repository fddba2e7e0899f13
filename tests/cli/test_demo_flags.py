"""`benefits-tui demo` runs on a folder of its own: global flags that name another database or
platform are refused in one line, not silently ignored."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.helpers import cli_invoker


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--database-url", "sqlite+aiosqlite:////srv/hr/benefits.db"], "--database-url"),
        (["--api-url", "https://benefits.example"], "--api-url"),
    ],
)
def test_demo_refuses_flags_it_cannot_apply(
    flags: list[str], named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = set(Path(tempfile.gettempdir()).glob("benefits-tui-demo-*"))
    result = cli_invoker(tmp_path, monkeypatch)(*flags, "demo")
    assert result.exit_code == 2
    assert named in result.output and "its own database and simulator" in result.output
    assert "Traceback" not in result.output
    assert set(Path(tempfile.gettempdir()).glob("benefits-tui-demo-*")) == before  # nothing made
