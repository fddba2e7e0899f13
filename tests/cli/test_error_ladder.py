"""One error root, one one-line message, one ladder in the CLI (benefits_tui.domain.errors)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from benefits_tui.cli.runner import CommandFailed, run_with_context
from benefits_tui.config import ConfigError
from benefits_tui.db import DatabaseURLError
from benefits_tui.domain.errors import BenefitsError, one_line
from benefits_tui.domain.fields import FieldProblem
from benefits_tui.platform.errors import AuthError, PlatformError
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.errors import NotFound, PermissionDenied
from benefits_tui.services.sync.pacing import HeldBack


def test_one_line_is_the_first_line_or_the_class_name() -> None:
    assert one_line(RuntimeError("first\nsecond")) == "first"
    assert one_line(RuntimeError("  \n")) == "RuntimeError"
    assert one_line(DatabaseURLError("no database at /x")) == (
        "BENEFITS_TUI_DATABASE_URL: no database at /x"
    )
    assert one_line(ConfigError("BENEFITS_API_URL", "must be an http:// or https:// URL")) == (
        "BENEFITS_API_URL: must be an http:// or https:// URL"
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("BENEFITS_API_URL", "not set"), 2),
        (DatabaseURLError("no database"), 2),
        (NotFound("no employee E9"), 2),
        (FieldProblem("date", "'x' is not a date"), 2),
        (PermissionDenied("viewer is a read-only user and cannot sync"), 1),
        (PlatformError("the platform answered 500"), 1),
        (AuthError("refused the API token"), 1),
        (CommandFailed("cancelled", 2), 2),
    ],
)
def test_every_error_people_read_derives_from_the_root(error: BenefitsError, code: int) -> None:
    assert isinstance(error, BenefitsError)
    assert error.exit_code == code


def _command_raising(error: BaseException) -> click.Command:
    @click.command()
    @click.pass_context
    def command(ctx: click.Context) -> None:
        async def body(context: ServiceContext) -> None:
            raise error

        run_with_context(ctx, body, create=True)

    return command


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (NotFound("no employee E000009"), 2, "no employee E000009"),
        (
            PlatformError("The Benefits platform answered 500\ninternal"),
            1,
            "The Benefits platform answered 500",
        ),
        (
            HeldBack(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
            1,
            "held back until 2026-01-02T03:04:05+00:00",
        ),
        (CommandFailed("not confirmed", 2), 2, "not confirmed"),
    ],
)
def test_the_cli_stops_on_any_of_them_with_one_line(
    error: BaseException, code: int, line: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        _command_raising(error),
        [],
        env={"BENEFITS_TUI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}"},
    )
    assert result.exit_code == code, result.output
    assert result.output == f"benefits-tui: {line}\n"
