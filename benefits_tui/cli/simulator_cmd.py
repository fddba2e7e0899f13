"""``benefits-tui simulator``: run the Benefits platform simulator (RULES §4)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from benefits_tui.platform.simulator.config import SimulatorConfig

_SHARE = click.FloatRange(0.0, 1.0)
_NON_NEGATIVE = click.FloatRange(min=0.0)


def _read_token(token: str | None, token_file: Path | None) -> str:
    """The token from --token-file / BENEFITS_API_TOKEN_FILE (a private file), the
    environment, or --token (last: a command line is visible to every local user in ``ps``)."""
    if token_file is not None:
        from benefits_tui.config import ConfigError, check_private_file

        try:
            check_private_file(token_file.expanduser(), "--token-file")
            text = token_file.expanduser().read_text(encoding="utf-8").strip()
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        except OSError as exc:
            raise click.UsageError(
                f"--token-file: cannot read {token_file}: {exc.strerror}"
            ) from None
        if not text:
            raise click.UsageError(f"--token-file: {token_file} is empty")
        return text
    if token and token.strip():
        return token.strip()
    raise click.UsageError(
        "no API token: pass --token-file FILE (mode 0600) or set BENEFITS_API_TOKEN"
    )


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 = any free one).",
)
@click.option(
    "--state",
    default="sim.db",
    show_default=True,
    help="SQLite file holding accounts, jobs and idempotent answers; it survives restarts. "
    "':memory:' keeps nothing.",
)
@click.option(
    "--token-file",
    envvar="BENEFITS_API_TOKEN_FILE",
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File (mode 0600) holding the bearer token clients must send.",
)
@click.option(
    "--token",
    envvar="BENEFITS_API_TOKEN",
    show_envvar=True,
    help="The bearer token itself; prefer --token-file or the environment, as every local "
    "user sees a command line in `ps`.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=_NON_NEGATIVE,
    help="Time each request takes.",
)
@click.option(
    "--jitter-ms",
    default=0.0,
    show_default=True,
    type=_NON_NEGATIVE,
    help="± random spread on latency and job time.",
)
@click.option(
    "--async-ratio",
    default=0.0,
    show_default=True,
    type=_SHARE,
    help="Share of writes answered 202 with a job.",
)
@click.option(
    "--job-delay-ms",
    default=500.0,
    show_default=True,
    type=_NON_NEGATIVE,
    help="How long a job takes.",
)
@click.option(
    "--fail-rate",
    default=0.0,
    show_default=True,
    type=_SHARE,
    help="Share of requests answered 500/503, doing nothing.",
)
@click.option(
    "--timeout-rate",
    default=0.0,
    show_default=True,
    type=_SHARE,
    help="Share of requests that hang for --hang-ms (half of them after committing the change).",
)
@click.option(
    "--hang-ms",
    default=30000.0,
    show_default=True,
    type=_NON_NEGATIVE,
    help="How long a hang lasts.",
)
@click.option(
    "--rate-limit",
    default=0.0,
    show_default=True,
    type=_NON_NEGATIVE,
    help="Requests/s allowed (token bucket; 0 = no limit); beyond it 429 with Retry-After.",
)
@click.option(
    "--preload",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=(
        "CSV of pre-existing accounts "
        "(email, forenames, surname, other account fields, optional id)."
    ),
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Seed for reproducible faults."
)
def simulator(
    host: str,
    port: int,
    state: str,
    token_file: Path | None,
    token: str | None,
    latency_ms: float,
    jitter_ms: float,
    async_ratio: float,
    job_delay_ms: float,
    fail_rate: float,
    timeout_rate: float,
    hang_ms: float,
    rate_limit: float,
    preload: Path | None,
    seed: int,
) -> None:
    """Run a simulator of the Benefits platform API, with optional faults.

    It speaks the API the app uses, keeps its state in --state, and can behave like a
    difficult provider: slow, asynchronous, failing, hanging or rate-limited.

    GET /_sim/stats reports accounts, duplicate emails and answers by status.

    \b
    The API contract, in the project's repository:
      assets/benefits-api.openapi.yaml
    """
    if fail_rate + timeout_rate > 1:
        raise click.BadParameter(
            "--fail-rate plus --timeout-rate must not exceed 1", param_hint="--timeout-rate"
        )
    from benefits_tui.platform.simulator.server import serve  # uvicorn only when serving

    config = SimulatorConfig(
        token=_read_token(token, token_file),
        state_path=None if state in ("", ":memory:") else state,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        async_ratio=async_ratio,
        job_delay_ms=job_delay_ms,
        fail_rate=fail_rate,
        timeout_rate=timeout_rate,
        hang_ms=hang_ms,
        rate_limit=rate_limit,
        preload=preload,
        seed=seed,
    )
    try:
        serve(config, host=host, port=port)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot use state file {state}: {exc}") from None
    except ValueError as exc:  # e.g. a preload CSV without the needed columns
        raise click.ClickException(str(exc)) from None
