"""`benefits-tui config`: every effective setting and where it came from (RULES §4)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from benefits_tui.cli.runner import stop_on
from benefits_tui.domain.errors import BenefitsError
from benefits_tui.domain.safe_text import json_visible, visible

if TYPE_CHECKING:
    from benefits_tui.config import EffectiveSetting


def _text_value(setting: EffectiveSetting) -> str:
    if setting.secret:
        return "set" if setting.is_set else "not set"
    if setting.value is None:
        return "(none)"
    if isinstance(setting.value, (dict, list)):
        return json.dumps(setting.value, ensure_ascii=False)
    return str(setting.value)


def _text_origin(setting: EffectiveSetting) -> str:
    if setting.origin == "environment":
        return f"environment: {setting.env}"
    return setting.origin


def _json_entry(setting: EffectiveSetting) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": setting.value, "source": setting.origin, "env": setting.env}
    if setting.secret:
        entry["set"] = setting.is_set  # the value itself is never printed
    return entry


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON: {setting: {value, source, env}}.")
@click.pass_context
def config(ctx: click.Context, as_json: bool) -> None:
    """Every effective setting and where it came from: flag, environment, file or default.

    Flags beat the environment, which beats the file named by BENEFITS_TUI_CONFIG. The API
    token is shown only as set or not set.
    """
    from benefits_tui.config import explain_settings

    flags: dict[str, Any] = ctx.find_root().obj or {}
    try:
        settings = explain_settings(**flags)
    except BenefitsError as exc:
        stop_on(exc)
    if as_json:
        payload = {setting.name: _json_entry(setting) for setting in settings}
        click.echo(json_visible(json.dumps(payload, ensure_ascii=False)))
        return
    width = max(len(setting.name) for setting in settings)
    for setting in settings:
        click.echo(
            f"{setting.name:<{width}}  {visible(_text_value(setting))}  "
            f"({visible(_text_origin(setting))})"
        )
