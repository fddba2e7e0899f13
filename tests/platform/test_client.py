"""BenefitsClient against the simulator (ASGI) and against scripted odd answers."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from benefits_tui.platform import errors as e
from benefits_tui.platform.client import USER_AGENT, BenefitsClient, parse_retry_after
from benefits_tui.platform.types import Account, BenefitLevelInfo, Job

from .conftest import BASE, TOKEN, account_body, http_for


def scripted(
    *answers: httpx.Response | Callable[[httpx.Request], httpx.Response],
) -> tuple[BenefitsClient, list[httpx.Request]]:
    """A client whose transport plays *answers* in turn (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        return answer(request) if callable(answer) else answer

    return BenefitsClient(BASE, TOKEN, transport=httpx.MockTransport(handler)), seen


def problem(status: int, code: str, **extra: Any) -> httpx.Response:
    body = {
        "type": "about:blank",
        "title": code,
        "status": status,
        "detail": f"{code} detail",
        "code": code,
        "errors": [],
        **extra,
    }
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def assert_no_token(exc: BaseException) -> None:
    rendered = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)
    assert TOKEN not in rendered


# -------------------------------------------------------------- happy paths
async def test_full_lifecycle_through_the_client(client: BenefitsClient) -> None:
    await client.check_connection()
    assert await client.find_account_by_email("zoe.obrien1@example.com") is None
    created = await client.create_account(account_body(), idempotency_key="c1")
    assert created.status_code == 201 and created.job is None and not created.replayed
    account = created.account
    assert isinstance(account, Account) and account.email == "zoe.obrien1@example.com"
    assert account.annual_pay == 42000.5 and account.address and account.address["city"] == "Leeds"
    assert account.raw["created_at"]
    assert await client.find_account_by_email("ZOE.OBRIEN1@example.com") == account
    assert await client.get_account(account.id) == account
    replay = await client.create_account(account_body(), idempotency_key="c1")
    assert replay.replayed and replay.account == account
    updated = await client.update_account(
        account.id, {"benefit_level": "ENHANCED"}, idempotency_key="u1"
    )
    assert (
        updated.status_code == 200
        and updated.account
        and updated.account.benefit_level == "ENHANCED"
    )
    ended = await client.terminate_account(
        account.id, "2026-04-30", "Resigned", idempotency_key="t1"
    )
    assert (
        ended.account
        and ended.account.status == "terminated"
        and ended.account.leave_date == "2026-04-30"
    )
    assert await client.list_benefit_levels() == [
        BenefitLevelInfo("CORE", "Core"),
        BenefitLevelInfo("ENHANCED", "Enhanced"),
        BenefitLevelInfo("EXECUTIVE", "Executive"),
    ]
    assert await client.get_picklist("pay_frequency") == [
        "Weekly",
        "Fortnightly",
        "Four-weekly",
        "Monthly",
    ]


async def test_async_write_gives_a_job_to_follow(make_app: Any) -> None:
    app = make_app(async_ratio=1.0, job_delay_ms=40)
    async with BenefitsClient(BASE, TOKEN, transport=httpx.ASGITransport(app=app)) as client:
        result = await client.create_account(account_body(), idempotency_key="j1")
        assert result.status_code == 202 and result.account is None and result.accepted
        assert isinstance(result.job, Job) and result.job.status == "pending"
        assert await client.find_account_by_email(account_body()["email"]) is None
        await asyncio.sleep(0.06)
        job = await client.get_job(result.job.id)
        assert job.finished and job.status == "complete" and job.account_id
        assert (await client.get_account(job.account_id)).email == account_body()["email"]
        dup = await client.create_account(
            account_body(2, email=account_body()["email"]), idempotency_key="j2"
        )
        assert dup.job is not None
        await asyncio.sleep(0.06)
        failed = await client.get_job(dup.job.id)
        assert failed.status == "error" and failed.error and failed.error.code == "email_in_use"
        assert failed.error.errors[0].field == "email"


async def test_sends_user_agent_and_bearer_token() -> None:
    client, seen = scripted(httpx.Response(200, json={"status": "ok"}))
    async with client:
        await client.check_connection()
    assert seen[0].headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("benefits-tui/")
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].url.path == "/v1/health"


async def test_writes_send_the_idempotency_key_and_are_not_retried() -> None:
    client, seen = scripted(problem(503, "service_unavailable"))
    async with client:
        with pytest.raises(e.ServerError):
            await client.create_account(account_body(), idempotency_key="key-42")
    assert len(seen) == 1 and seen[0].headers["idempotency-key"] == "key-42"


async def test_gets_are_retried_a_little_on_transient_errors() -> None:
    account = {"id": "acc_1", "email": "a@b.co"}
    client, seen = scripted(
        problem(503, "service_unavailable"),
        problem(500, "internal_error"),
        httpx.Response(200, json=account),
    )
    async with client:
        assert (await client.get_account("acc_1")).id == "acc_1"
    assert len(seen) == 3
    client, seen = scripted(problem(503, "service_unavailable"))
    async with client:
        with pytest.raises(e.ServerError):
            await client.get_account("acc_1")
    assert len(seen) == 3  # 1 + 2 retries, then it gives up


async def test_429_is_not_retried_by_the_client() -> None:
    client, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"code": "rate_limited"})
    )
    async with client:
        with pytest.raises(e.Throttled) as caught:
            await client.get_account("acc_1")
    assert caught.value.retry_after == 7.0 and len(seen) == 1


# ------------------------------------------------------------------ taxonomy
@pytest.mark.parametrize(
    ("answer", "kind", "code"),
    [
        (
            problem(
                422,
                "validation_failed",
                errors=[{"field": "email", "code": "invalid_email", "message": "bad"}],
            ),
            e.ValidationFailed,
            "validation_failed",
        ),
        (problem(400, "invalid_json"), e.ValidationFailed, "invalid_json"),
        (problem(409, "email_in_use"), e.ConflictError, "email_in_use"),
        (problem(422, "idempotency_key_reused"), e.ConflictError, "idempotency_key_reused"),
        (problem(409, "idempotency_key_in_use"), e.InFlightConflict, "idempotency_key_in_use"),
        (problem(404, "not_found"), e.NotFoundError, "not_found"),
        (problem(401, "unauthorized"), e.AuthError, "unauthorized"),
        (httpx.Response(403, text="Forbidden"), e.AuthError, "unauthorized"),
        (problem(500, "internal_error"), e.ServerError, "internal_error"),
        (
            httpx.Response(
                502,
                text="<html><body>Bad Gateway</body></html>",
                headers={"content-type": "text/html"},
            ),
            e.ServerError,
            "server_error",
        ),
        (problem(429, "rate_limited"), e.Throttled, "rate_limited"),
        (
            httpx.Response(
                404, text="<html>Not Found</html>", headers={"content-type": "text/html"}
            ),
            e.ProtocolError,
            "unexpected_response",
        ),
        (
            httpx.Response(200, text="<html>login</html>", headers={"content-type": "text/html"}),
            e.ProtocolError,
            "malformed_json",
        ),
        (
            httpx.Response(302, headers={"location": "/login"}),
            e.ProtocolError,
            "unexpected_response",
        ),
        (problem(418, "teapot"), e.ProtocolError, "teapot"),
    ],
)
async def test_error_taxonomy(
    answer: httpx.Response, kind: type[e.PlatformError], code: str
) -> None:
    client, _ = scripted(answer)
    async with client:
        with pytest.raises(kind) as caught:
            await client.update_account("acc_1", {"job_title": "x"}, idempotency_key="k")
    exc = caught.value
    assert exc.code == code and exc.status_code == answer.status_code
    assert isinstance(exc, e.TransientError) == (
        kind in (e.ServerError, e.Throttled, e.InFlightConflict)
    )
    assert isinstance(exc, e.PermanentError) != isinstance(exc, e.TransientError)
    assert str(exc) and str(exc)[0].isupper()
    assert_no_token(exc)


async def test_validation_error_carries_the_field_errors(client: BenefitsClient) -> None:
    with pytest.raises(e.ValidationFailed) as caught:
        await client.create_account(
            account_body(email="not an email", title="Sir"), idempotency_key="v"
        )
    problem_ = caught.value.problem
    assert problem_ is not None and problem_.status == 422
    assert {(f.field, f.code) for f in problem_.errors} == {
        ("email", "invalid_email"),
        ("title", "picklist_value_not_recognised"),
    }
    assert "email" in str(caught.value) and "title" in str(caught.value)


async def test_auth_error_names_the_setting(make_app: Any) -> None:
    app = make_app()
    async with BenefitsClient(
        BASE, "wrong-token", transport=httpx.ASGITransport(app=app)
    ) as client:
        with pytest.raises(e.AuthError) as caught:
            await client.check_connection()
    assert "BENEFITS_API_TOKEN" in str(caught.value) and "wrong-token" not in str(caught.value)


async def test_protocol_error_shows_what_came_back_truncated_without_token() -> None:
    page = f"<html><body>Oops {TOKEN} " + "x" * 5000 + "</body></html>"
    client, _ = scripted(httpx.Response(200, text=page, headers={"content-type": "text/html"}))
    async with client:
        with pytest.raises(e.ProtocolError) as caught:
            await client.get_account("acc_1")
    message = str(caught.value)
    assert "<html><body>Oops" in message and "text/html" in message and len(message) < 500
    assert_no_token(caught.value)


async def test_malformed_bodies_are_protocol_errors() -> None:
    for answer in [
        httpx.Response(200, json={"no": "data"}),
        httpx.Response(200, json={"data": "x"}),
    ]:
        client, _ = scripted(answer)
        async with client:
            with pytest.raises(e.ProtocolError):
                await client.list_benefit_levels()
    client, _ = scripted(httpx.Response(202, json={"job": {"id": "j", "status": "weird"}}))
    async with client:
        with pytest.raises(e.ProtocolError):
            await client.create_account(account_body(), idempotency_key="k")
    client, _ = scripted(httpx.Response(201, json={"email": "no id"}))
    async with client:
        with pytest.raises(e.ProtocolError):
            await client.create_account(account_body(), idempotency_key="k")


async def test_several_accounts_for_one_email_is_a_conflict_not_a_guess() -> None:
    client, _ = scripted(httpx.Response(200, json={"data": [{"id": "acc_1"}, {"id": "acc_2"}]}))
    async with client:
        with pytest.raises(e.ConflictError) as caught:
            await client.find_account_by_email("a@b.co")
    assert caught.value.code == "multiple_accounts_for_email" and "acc_2" in str(caught.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_platform_names_the_url_setting() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    async with BenefitsClient(url, TOKEN, get_retries=0) as client:
        with pytest.raises(e.PlatformUnreachable) as caught:
            await client.check_connection()
        assert "BENEFITS_API_URL" in str(caught.value) and url in str(caught.value)
        assert_no_token(caught.value)
        with pytest.raises(e.PlatformUnreachable) as caught:
            await client.create_account(account_body(), idempotency_key="k")
        assert_no_token(caught.value)


async def test_missing_settings_are_clear() -> None:
    with pytest.raises(e.AuthError, match="BENEFITS_API_TOKEN"):
        BenefitsClient(BASE, "")
    with pytest.raises(e.PlatformUnreachable, match="BENEFITS_API_URL"):
        BenefitsClient("", TOKEN)


# ---------------------------------------------------------------- Retry-After
def test_retry_after_delta_seconds() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("1.5") == 1.5


def test_retry_after_http_date() -> None:
    now = time.time()
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert 28.0 <= parse_retry_after(header, now=now) <= 31.0
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "nan", "Mon, 99 Foo 2026"])
def test_retry_after_garbled_defaults_to_one_second(value: str | None) -> None:
    assert parse_retry_after(value) == 1.0


async def test_throttled_reads_an_http_date_header() -> None:
    header = email.utils.formatdate(time.time() + 20, usegmt=True)
    client, _ = scripted(httpx.Response(429, headers={"Retry-After": header}))
    async with client:
        with pytest.raises(e.Throttled) as caught:
            await client.create_account(account_body(), idempotency_key="k")
    assert 18 <= caught.value.retry_after <= 21


# -------------------------------------------------------------------- secrets
async def test_token_never_in_repr_or_messages(make_app: Any) -> None:
    app = make_app()
    client = BenefitsClient(BASE, TOKEN, transport=httpx.ASGITransport(app=app))
    assert TOKEN not in repr(client) and TOKEN not in str(client)
    assert TOKEN not in repr(vars(client))
    async with http_for(app):
        pass
    await client.aclose()
    from benefits_tui.platform.simulator.config import SimulatorConfig

    assert TOKEN not in repr(SimulatorConfig(token=TOKEN))


async def test_timeouts_are_explicit_and_pool_is_bounded() -> None:
    client = BenefitsClient(BASE, TOKEN, timeout=2.5, max_connections=7)
    http = client._http
    assert http.timeout.read == 2.5 and http.timeout.write == 2.5 and http.timeout.pool == 2.5
    assert http.timeout.connect == 2.5
    pool = http._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == 7
    await client.aclose()


async def test_a_slow_loris_answer_is_cut_off_by_the_deadline() -> None:
    """A platform that drips its answer a byte at a time never trips httpx's per-read
    timeout; the client's deadline for the whole exchange does."""
    import asyncio as _asyncio

    from benefits_tui.platform.client import BenefitsClient
    from benefits_tui.platform.errors import PlatformTimeout

    async def drip(scope, receive, send):  # type: ignore[no-untyped-def]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        for char in '{"data": []}' * 100:
            await send({"type": "http.response.body", "body": char.encode(), "more_body": True})
            await _asyncio.sleep(0.02)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    client = BenefitsClient(
        "http://benefits.test",
        "sk_test_token_123456",
        timeout=0.1,
        transport=httpx.ASGITransport(app=drip),
        get_retries=0,
    )
    async with client:
        started = _asyncio.get_running_loop().time()
        with pytest.raises(PlatformTimeout) as error:
            await client.find_account_by_email("a@example.com")
        elapsed = _asyncio.get_running_loop().time() - started
    assert elapsed < 1.0
    assert "longer than" in str(error.value)
