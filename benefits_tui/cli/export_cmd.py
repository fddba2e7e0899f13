"""`benefits-tui export`: employees and their sync status as CSV (RULES §4)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from benefits_tui.cli.runner import CommandFailed, pass_services
from benefits_tui.domain.safe_text import visible
from benefits_tui.domain.states import SyncState
from benefits_tui.domain.wording import plural

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext

STATUS_CHOICES = [state.slug for state in SyncState] + ["all"]


def _is_terminal(handle: IO[str]) -> bool:
    try:
        return handle.isatty()
    except (AttributeError, ValueError):
        return False


class _Visible:
    """Writes CSV text to a terminal with control characters shown as symbols."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def write(self, text: str, /) -> int:
        return self.handle.write(visible(text, multiline=True))


@contextlib.contextmanager
def private_file(path: str) -> Iterator[IO[str]]:
    """Write ``path`` whole or not at all, readable by its owner only (0600): an export
    holds personal data. A file already there is replaced, its old mode not kept."""
    target = Path(path)
    try:
        # mkstemp creates the file 0600 whatever the umask; the rename makes it appear whole.
        fd, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise CommandFailed(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@click.command("export")
@click.argument(
    "path", metavar="FILE|-", type=click.Path(dir_okay=False, writable=True, allow_dash=True)
)
@click.option(
    "--status",
    type=click.Choice(STATUS_CHOICES),
    default="all",
    show_default=True,
    help="One tab, or every employee (leavers included).",
)
@click.option(
    "--search", default="", help="Only employees matching this search (name, email, number)."
)
@pass_services
async def export(context: ServiceContext, path: str, status: str, search: str) -> None:
    """Write employees as CSV to FILE (or - for standard output).

    The import columns plus status, reason, benefits_account_id and last_synced_at.
    Values a spreadsheet would run as a formula get a leading single quote.
    """
    from benefits_tui.services.csv_export import export_csv, export_filter

    opened = click.open_file("-", "w", encoding="utf-8") if path == "-" else private_file(path)
    with opened as handle:
        # A file keeps every value intact; a terminal must never obey one (RULES §1.15).
        out = _Visible(handle) if path == "-" and _is_terminal(handle) else handle
        count = await export_csv(context, export_filter(status, search), out)
    if path != "-":
        click.echo(
            f"{plural(count, 'employee')} written to {click.format_filename(path)}",
            err=True,
        )
