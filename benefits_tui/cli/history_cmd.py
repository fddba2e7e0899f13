"""`benefits-tui history EMPLOYEE`: an employee's sync history, newest first."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import pass_services
from benefits_tui.domain.safe_text import json_visible, visible

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext


@click.command()
@click.argument("employee")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_services
async def history(context: ServiceContext, employee: str, as_json: bool) -> None:
    """Show the sync history of EMPLOYEE (an employee number or email)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from benefits_tui.services.queries import employee_detail, find_employee

    detail = await employee_detail(context, await find_employee(context, employee))
    if as_json:
        payload = {
            "employee_number": detail.employee_number,
            "name": detail.name,
            "status": detail.state.value,
            "reason": detail.reason,
            "benefits_account_id": detail.account_id,
            "events": [
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "requested_by": e.requested_by,
                    "action": str(e.action),
                    "status_code": e.status_code,
                    "answer": e.answer,
                    "reason": e.reason,
                }
                for e in detail.history
            ],
        }
        click.echo(json_visible(json.dumps(payload, ensure_ascii=False)))
        return
    # Every value may come from a person or the platform: shown, never obeyed (RULES §1.15).
    console = Console(highlight=False, markup=False, emoji=False)
    console.print(
        Text(
            visible(
                f"{detail.employee_number}  {detail.name}  —  {detail.state.label}"
                + (f": {detail.status_text}" if detail.status_text else "")
            )
        )
    )
    console.print(Text(visible(f"Benefits account: {detail.account_id or 'not linked'}")))
    table = Table("When", "Who", "What", "Platform", "Reason", show_lines=False, expand=True)
    for e in detail.history:
        platform = " ".join(part for part in (str(e.status_code or ""), e.answer or "") if part)
        table.add_row(
            Text(e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
            Text(visible(e.who)),
            Text(visible(e.action_label)),
            Text(visible(platform)),
            Text(visible(e.reason)),
        )
    console.print(table)
