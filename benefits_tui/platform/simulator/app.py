"""The simulator's HTTP surface: the /v1 API of RULES §2 plus /_sim helpers for tests.

``create_app(config)`` needs no lifespan (it works under ``httpx.ASGITransport``): state is
opened when the app is built and jobs advance lazily, on every request, by their due time.

Order of checks on /v1 (see :class:`PlatformGate`): auth (401) → rate limit (429) → injected
5xx or hang-without-effect → the endpoint: Idempotency-Key checks → latency (the key is in
flight meanwhile) → validation (422, always synchronous) → sync or async (202) outcome →
answer stored with the change in one transaction. ``/_sim/*`` is never faulted, limited or
authenticated.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benefits_tui.platform import contract as c
from benefits_tui.platform.simulator.bodies import (
    MAX_BODY_BYTES,
    BadBody,
    BodyTooLarge,
    canonical,
    parse_json,
    read_capped,
)
from benefits_tui.platform.simulator.config import MUTABLE_SETTINGS, SimulatorConfig
from benefits_tui.platform.simulator.faults import Fault, FaultInjector
from benefits_tui.platform.simulator.idempotency import InFlight, fingerprint, key_problem
from benefits_tui.platform.simulator.listing import BadQuery, encode_cursor, parse_query
from benefits_tui.platform.simulator.problems import (
    PROBLEM_CONTENT_TYPE,
    encode,
    problem_body,
    problem_response,
)
from benefits_tui.platform.simulator.ratelimit import TokenBucket, retry_after_header
from benefits_tui.platform.simulator.store import EmailInUse, Store

REQUEST_LOG_SIZE = 10_000
BEAT_SECONDS = 0.02  # how often the serving loop notes that it is free (see earliest_arrival)
JSON = "application/json"
SIMULATOR_VERSION = "1.0"

WriteOutcome = tuple[int, dict[str, Any]]


class SimulatorState:
    """Everything one simulator instance holds (reachable as ``app.state.sim``)."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.store = Store(config.state_path)
        if config.preload:
            self.store.preload_csv(config.preload)
        self.faults = FaultInjector(config)
        self.bucket = TokenBucket(config.rate_limit)
        self.inflight = InFlight()
        self.by_status: Counter[str] = Counter()
        self.log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self.level_codes = c.benefit_level_codes(config.benefit_levels)

        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._beats: deque[float] = deque(maxlen=2)  # the serving loop seen free, latest last
        self._beat_loop: asyncio.AbstractEventLoop | None = None

    def earliest_arrival(self, now: float) -> float:
        """How early a request first seen ``now`` may have reached the server.

        A loop kept busy (or a process kept off the CPU) reads its sockets late, so the time a
        request is stamped is only its latest possible arrival; the loop last ran a timer at
        the latest beat, and a request not yet read then arrived after the beat before it.
        Tests that judge a client by arrival times (Retry-After windows) use this bound.
        """
        loop = asyncio.get_running_loop()
        if self._beat_loop is not loop:  # first request in this loop: start the beat here
            self._beat_loop = loop
            self._beats.clear()
            self._beat(loop)
            return now
        return self._beats[0]

    def _beat(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._beat_loop is loop:  # a loop left behind (tests) lets its beat lapse
            self._beats.append(time.time())
            loop.call_later(BEAT_SECONDS, self._beat, loop)

    def close(self) -> None:
        """Close the state file."""
        self.store.close()

    def stopping(self) -> asyncio.Event:
        """An event set when the server shuts down (created in the serving loop)."""
        if self._stopping is None:
            self._stopping = asyncio.Event()
            self._loop = asyncio.get_running_loop()
        return self._stopping

    def wake_hangs(self) -> None:
        """End every hanging request now (thread-safe; used on shutdown)."""
        if self._stopping is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopping.set)

    # -- jobs ---------------------------------------------------------------------
    def tick(self) -> None:
        """Complete every job whose due time has passed (cheap when none is due)."""
        due = self.store.next_due()
        if due is None or due > time.time():
            return
        now = time.time()
        while (job := self.store.pop_due_job(now)) is not None:
            job_id, kind, account_id, payload = job
            with self.store.transaction():
                try:
                    if kind == "create_account":
                        account = self.store.create_account(payload)
                        account_id = account["id"]
                    elif kind == "update_account":
                        if self.store.update_account(account_id or "", payload) is None:
                            raise LookupError(account_id)
                    else:
                        done = self.store.terminate_account(
                            account_id or "", payload["leave_date"], payload["reason"]
                        )
                        if done is None:
                            raise LookupError(account_id)
                except EmailInUse as exc:
                    error = problem_body(
                        409,
                        c.EMAIL_IN_USE,
                        "another account already uses this email",
                        [("email", c.EMAIL_IN_USE, f"{exc.email} belongs to account {exc.holder}")],
                    )
                    self.store.finish_job(job_id, account_id=account_id, error=error)
                except LookupError:
                    error = problem_body(404, c.NOT_FOUND, f"account {account_id} does not exist")
                    self.store.finish_job(job_id, account_id=account_id, error=error)
                else:
                    self.store.finish_job(job_id, account_id=account_id, error=None)


# ---------------------------------------------------------------------- the gate
class PlatformGate:
    """ASGI middleware for /v1: request log and counts, auth, rate limit, injected faults."""

    def __init__(self, app: ASGIApp, sim: SimulatorState) -> None:
        self.app = app
        self.sim = sim
        self._expected = ("Bearer " + sim.config.token).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sim = self.sim
        sim.tick()
        path: str = scope["path"]
        if not path.startswith(c.API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return

        headers = dict(scope["headers"])
        now = time.time()
        entry: dict[str, Any] = {
            "time": now,
            "earliest": sim.earliest_arrival(now),
            "method": scope["method"],
            "path": path,
            "status": None,
            "idempotency_key": _latin1(headers.get(b"idempotency-key")),
            "replayed": False,
        }
        sim.log.append(entry)

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                entry["status"] = status
                sim.by_status[str(status)] += 1
                entry["replayed"] = any(
                    k == b"idempotent-replayed" for k, _ in message.get("headers", ())
                )
            await send(message)

        if not hmac.compare_digest(headers.get(b"authorization", b""), self._expected):
            await problem_response(
                401,
                c.UNAUTHORIZED,
                "send Authorization: Bearer <token> with a valid API token",
                headers={"WWW-Authenticate": 'Bearer realm="benefits"'},
            )(scope, receive, counted_send)
            return

        wait = sim.bucket.take()
        if wait > 0:
            await problem_response(
                429,
                c.RATE_LIMITED,
                f"rate limit of {sim.config.rate_limit:g} requests/s exceeded; retry later",
                headers={"Retry-After": retry_after_header(wait)},
            )(scope, receive, counted_send)
            return

        fault = sim.faults.draw_fault()
        if fault is not Fault.NONE:
            entry["fault"] = fault.value
        if fault is Fault.FAIL_500:
            await problem_response(500, c.INTERNAL_ERROR, "injected failure; nothing was done")(
                scope, receive, counted_send
            )
            return
        if fault is Fault.FAIL_503:
            await problem_response(
                503, c.SERVICE_UNAVAILABLE, "injected unavailability; nothing was done"
            )(scope, receive, counted_send)
            return
        if fault is Fault.HANG_BEFORE:
            if await _hang(sim.faults.hang_s, receive, sim):
                return  # the client gave up; nothing was done, nobody to answer
            await problem_response(504, c.GATEWAY_TIMEOUT, "injected hang; nothing was done")(
                scope, receive, counted_send
            )
            return
        if fault is Fault.HANG_AFTER:
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            if await _hang(sim.faults.hang_s, receive, sim):
                return  # committed, but the client gave up waiting for the answer
            for message in held:
                await counted_send(message)
            return
        await self.app(scope, receive, counted_send)


async def _hang(seconds: float, receive: Receive, sim: SimulatorState) -> bool:
    """Sleep *seconds*; end early, returning True, if the client disconnects.

    A server shutting down (``sim.wake_hangs()``) also ends the hang, returning False so the
    answer is still sent and uvicorn can close the connection cleanly.
    """

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(disconnected())
    waker = asyncio.ensure_future(sim.stopping().wait())
    try:
        await asyncio.wait({watcher, waker}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        return watcher.done() and not watcher.cancelled() and watcher.exception() is None
    finally:
        watcher.cancel()
        waker.cancel()


def _latin1(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


# ---------------------------------------------------------------------- helpers
def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode(body), status_code=status, media_type=JSON, headers=headers)


def _sim(request: Request) -> SimulatorState:
    return request.app.state.sim  # type: ignore[no-any-return]


async def _latency(sim: SimulatorState) -> None:
    delay = sim.faults.latency_s()
    if delay > 0:
        await asyncio.sleep(delay)


def _invalid(problems: list[c.FieldProblem]) -> WriteOutcome:
    fields = ", ".join(dict.fromkeys(f for f, _, _ in problems))
    return 422, problem_body(
        422, c.VALIDATION_FAILED, f"invalid or missing fields: {fields}", problems
    )


def _not_found(what: str) -> WriteOutcome:
    return 404, problem_body(404, c.NOT_FOUND, f"{what} does not exist")


async def _idempotent_write(
    request: Request, handle: Callable[[SimulatorState, dict[str, Any]], WriteOutcome]
) -> Response:
    """Run a write under Stripe-style Idempotency-Key rules; *handle* runs inside a transaction."""
    sim = _sim(request)
    key = request.headers.get("idempotency-key")
    problem = key_problem(key)
    if problem is not None:
        code = c.IDEMPOTENCY_KEY_REQUIRED if not (key or "").strip() else c.IDEMPOTENCY_KEY_INVALID
        return problem_response(400, code, problem)
    assert key is not None
    try:
        raw = await read_capped(request)
    except ClientDisconnect:  # the client went away (killed) mid-body: nothing was done
        return Response(status_code=499)
    except BodyTooLarge:
        return problem_response(
            413, c.PAYLOAD_TOO_LARGE, f"the body must be at most {MAX_BODY_BYTES:,} bytes"
        )
    body: Any = None
    body_problem: str | None = None
    try:
        body = parse_json(raw) if raw else None
    except BadBody as exc:
        body_problem = str(exc)
    request_print = fingerprint(
        request.method, request.url.path, canonical(body) if body_problem is None else raw
    )
    stored = sim.store.get_answer(key)
    if stored is not None:
        if stored.fingerprint != request_print:
            return problem_response(
                422,
                c.IDEMPOTENCY_KEY_REUSED,
                "this Idempotency-Key was used with a different request; use a new key",
            )
        media = JSON if stored.status < 400 else "application/problem+json"
        headers = {"Idempotent-Replayed": "true"}
        if stored.status == 202:  # the same answer, so the same way to its job
            headers["Location"] = _job_location(json.loads(stored.body))
        return Response(stored.body, status_code=stored.status, media_type=media, headers=headers)
    if not sim.inflight.claim(key):
        return problem_response(
            409,
            c.IDEMPOTENCY_KEY_IN_USE,
            "a request with this Idempotency-Key is still being processed",
        )
    try:
        await _latency(sim)
        sim.tick()
        with sim.store.transaction():
            if not isinstance(body, dict):
                detail = body_problem or "the body must be a JSON object"
                status, payload = 400, problem_body(400, c.INVALID_JSON, detail)
            else:
                status, payload = handle(sim, body)
            encoded = encode(payload)
            sim.store.put_answer(key, request_print, status, encoded)
    finally:
        sim.inflight.release(key)
    media = JSON if status < 400 else "application/problem+json"
    location = {"Location": _job_location(payload)} if status == 202 else None
    return Response(encoded, status_code=status, media_type=media, headers=location)


def _job_location(answer: dict[str, Any]) -> str:
    """Where the job of a 202 answer can be followed."""
    return f"{c.API_PREFIX}/jobs/{answer['job']['id']}"


def _accept_job(
    sim: SimulatorState, kind: str, account_id: str | None, payload: dict[str, Any]
) -> WriteOutcome:
    due = time.time() + sim.faults.job_delay_s()
    job = sim.store.add_job(kind, account_id, payload, due)
    return 202, {"job": job}


def _email_conflict(exc: EmailInUse) -> WriteOutcome:
    return 409, problem_body(
        409,
        c.EMAIL_IN_USE,
        "another account already uses this email",
        [("email", c.EMAIL_IN_USE, f"{exc.email} belongs to account {exc.holder}")],
    )


# ----------------------------------------------------------------- /v1 handlers
def _create(sim: SimulatorState, body: dict[str, Any]) -> WriteOutcome:
    problems = c.validate_account(body, benefit_levels=sim.level_codes)
    if problems:
        return _invalid(problems)
    if sim.faults.goes_async():
        return _accept_job(sim, "create_account", None, body)
    try:
        return 201, sim.store.create_account(body)
    except EmailInUse as exc:
        return _email_conflict(exc)


def _update(account_id: str) -> Callable[[SimulatorState, dict[str, Any]], WriteOutcome]:
    def handle(sim: SimulatorState, body: dict[str, Any]) -> WriteOutcome:
        problems = c.validate_account(body, partial=True, benefit_levels=sim.level_codes)
        if problems:
            return _invalid(problems)
        if sim.store.get_account(account_id) is None:
            return _not_found(f"account {account_id}")
        if sim.faults.goes_async():
            return _accept_job(sim, "update_account", account_id, body)
        try:
            account = sim.store.update_account(account_id, body)
        except EmailInUse as exc:
            return _email_conflict(exc)
        return (200, account) if account is not None else _not_found(f"account {account_id}")

    return handle


def _terminate(account_id: str) -> Callable[[SimulatorState, dict[str, Any]], WriteOutcome]:
    def handle(sim: SimulatorState, body: dict[str, Any]) -> WriteOutcome:
        problems = c.validate_termination(body)
        if problems:
            return _invalid(problems)
        if sim.store.get_account(account_id) is None:
            return _not_found(f"account {account_id}")
        payload = {"leave_date": body["leave_date"], "reason": body["reason"]}
        if sim.faults.goes_async():
            return _accept_job(sim, "terminate_account", account_id, payload)
        account = sim.store.terminate_account(account_id, body["leave_date"], body["reason"])
        return (200, account) if account is not None else _not_found(f"account {account_id}")

    return handle


async def accounts(request: Request) -> Response:
    """GET: list in pages, or look up by email (a filter of the same listing) · POST: create."""
    if request.method == "POST":
        return await _idempotent_write(request, _create)
    sim = _sim(request)
    await _latency(sim)
    try:
        query = parse_query(request.query_params)
    except BadQuery as exc:
        status, body = _invalid(exc.problems)
        return Response(encode(body), status_code=status, media_type=PROBLEM_CONTENT_TYPE)
    found, more = sim.store.list_accounts(
        limit=query.limit,
        after=query.after,
        email=query.email,
        updated_since=query.updated_since,
    )
    next_cursor = encode_cursor(query, found[-1]["id"]) if more and found else None
    return _json({"data": found, "next_cursor": next_cursor})


async def account(request: Request) -> Response:
    """GET: read · PATCH: partial update."""
    account_id = request.path_params["account_id"]
    if request.method == "PATCH":
        return await _idempotent_write(request, _update(account_id))
    sim = _sim(request)
    await _latency(sim)
    found = sim.store.get_account(account_id)
    if found is None:
        return problem_response(404, c.NOT_FOUND, f"account {account_id} does not exist")
    return _json(found)


async def termination(request: Request) -> Response:
    """POST: end coverage (leaver)."""
    return await _idempotent_write(request, _terminate(request.path_params["account_id"]))


async def job(request: Request) -> Response:
    """GET: an async job's state."""
    sim = _sim(request)
    await _latency(sim)
    found = sim.store.get_job(request.path_params["job_id"])
    if found is None:
        return problem_response(
            404, c.NOT_FOUND, f"job {request.path_params['job_id']} does not exist"
        )
    return _json(found)


async def benefit_levels(request: Request) -> Response:
    """GET: the Benefits Levels on offer."""
    sim = _sim(request)
    await _latency(sim)
    return _json(
        {"data": [{"code": code, "name": name} for code, name in sim.config.benefit_levels]}
    )


async def picklist(request: Request) -> Response:
    """GET: the values one picklist field accepts."""
    sim = _sim(request)
    await _latency(sim)
    name = request.path_params["name"]
    values = c.PICKLISTS.get(name)
    if values is None:
        return problem_response(
            404, c.NOT_FOUND, f"no picklist named {name!r}; known: {', '.join(c.PICKLISTS)}"
        )
    return _json({"data": list(values)})


async def health(request: Request) -> Response:
    """GET: the token works and the platform is up."""
    await _latency(_sim(request))
    return _json({"status": "ok", "version": SIMULATOR_VERSION})


# ---------------------------------------------------------------- /_sim helpers
async def sim_stats(request: Request) -> Response:
    """Account and duplicate counts, and how many /v1 answers had each status."""
    sim = _sim(request)
    return _json(
        {
            "accounts": sim.store.account_count,
            "duplicate_emails": sim.store.duplicate_email_count(),
            "requests_by_status": dict(sorted(sim.by_status.items())),
        }
    )


async def sim_accounts(request: Request) -> Response:
    """Every account (visible ones)."""
    return _json({"data": _sim(request).store.all_accounts()})


async def sim_requests(request: Request) -> Response:
    """The most recent /v1 requests, oldest first (``?limit=`` keeps the last N)."""
    log = list(_sim(request).log)
    limit = request.query_params.get("limit")
    if limit and limit.isdigit():
        log = log[-int(limit) :] if int(limit) else []
    return _json({"data": log})


async def sim_reset(request: Request) -> Response:
    """Forget all state, counts and the request log."""
    sim = _sim(request)
    sim.store.reset()
    sim.by_status.clear()
    sim.log.clear()
    sim.bucket.configure(sim.config.rate_limit)
    return Response(status_code=204)


async def sim_config(request: Request) -> Response:
    """GET the fault settings, or POST a JSON object changing some of them at run time."""
    sim = _sim(request)
    if request.method == "POST":
        try:
            changes = parse_json(await read_capped(request))
        except (BadBody, BodyTooLarge):
            changes = None
        if not isinstance(changes, dict) or set(changes) - set(MUTABLE_SETTINGS):
            return problem_response(
                400,
                c.INVALID_JSON,
                f"send a JSON object with some of: {', '.join(MUTABLE_SETTINGS)}",
            )
        problems = [
            (name, c.INVALID_NUMBER, f"{name} must be a number")
            for name, value in changes.items()
            if isinstance(value, bool) or not isinstance(value, (int, float))
        ]
        if problems:
            return problem_response(422, c.VALIDATION_FAILED, problems[0][2], problems)
        previous = sim.config.fault_settings
        try:
            for name, value in changes.items():
                setattr(sim.config, name, float(value))
            sim.config.validate()
        except (ValueError, OverflowError) as exc:
            for name, value in previous.items():
                setattr(sim.config, name, value)
            return problem_response(422, c.VALIDATION_FAILED, str(exc))
        if "rate_limit" in changes:
            sim.bucket.configure(sim.config.rate_limit)
    return _json(sim.config.fault_settings)


ROUTES: list[Route] = [
    Route("/v1/health", health, methods=["GET"]),
    Route("/v1/accounts", accounts, methods=["GET", "POST"]),
    Route("/v1/accounts/{account_id}", account, methods=["GET", "PATCH"]),
    Route("/v1/accounts/{account_id}/termination", termination, methods=["POST"]),
    Route("/v1/jobs/{job_id}", job, methods=["GET"]),
    Route("/v1/benefit-levels", benefit_levels, methods=["GET"]),
    Route("/v1/picklists/{name}", picklist, methods=["GET"]),
    Route("/_sim/stats", sim_stats, methods=["GET"]),
    Route("/_sim/accounts", sim_accounts, methods=["GET"]),
    Route("/_sim/requests", sim_requests, methods=["GET"]),
    Route("/_sim/reset", sim_reset, methods=["POST"]),
    Route("/_sim/config", sim_config, methods=["GET", "POST"]),
]


def _not_found_handler(request: Request, exc: Exception) -> Awaitable[Response] | Response:
    status = getattr(exc, "status_code", 500)
    if status == 405:
        # RFC 9110: a 405 says which methods the resource has (Starlette adds HEAD to GET).
        allowed = str((getattr(exc, "headers", None) or {}).get("Allow", ""))
        methods = sorted({m.strip() for m in allowed.split(",") if m.strip()})
        return problem_response(
            405,
            c.METHOD_NOT_ALLOWED,
            f"{request.method} is not allowed on {request.url.path}; use {', '.join(methods)}",
            headers={"Allow": ", ".join(methods)},
        )
    if status == 404:
        return problem_response(404, c.NOT_FOUND, f"no route {request.url.path}")
    return problem_response(status, "http_error", str(getattr(exc, "detail", "")))


def create_app(config: SimulatorConfig) -> Starlette:
    """A simulator app; its state lives in ``app.state.sim`` (call ``.close()`` when done)."""
    sim = SimulatorState(config)
    app = Starlette(
        routes=ROUTES, exception_handlers={404: _not_found_handler, 405: _not_found_handler}
    )
    app.state.sim = sim
    app.add_middleware(PlatformGate, sim=sim)
    return app
