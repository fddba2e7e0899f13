"""Async client for the Benefits platform API (RULES §2).

One :class:`BenefitsClient` wraps one pooled ``httpx.AsyncClient``. Every failure is raised as
one of :mod:`benefits_tui.platform.errors`; retrying writes is the caller's job (the sync
engine persists its retries), but idempotent GETs get a small bounded retry on transient
trouble. The API token lives only inside the request auth hook: it never appears in a repr,
a log line or an exception message.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from benefits_tui.domain.retry import GET_RETRY
from benefits_tui.platform.contract import (
    IDEMPOTENCY_KEY_RE,
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    MAX_CURSOR_LENGTH,
    MAX_IDEMPOTENCY_KEY_LENGTH,
)
from benefits_tui.platform.errors import (
    AuthError,
    ConflictError,
    InFlightConflict,
    InvalidRequest,
    NotFoundError,
    PlatformError,
    PlatformTimeout,
    PlatformUnreachable,
    ProtocolError,
    ServerError,
    Throttled,
    TransientError,
    ValidationFailed,
)
from benefits_tui.platform.hooks import before_retry
from benefits_tui.platform.types import (
    Account,
    AccountPage,
    BenefitLevelInfo,
    Job,
    Problem,
    WriteResult,
)

try:
    __version__ = _dist_version("benefits-tui")
except PackageNotFoundError:  # running from a source tree
    from benefits_tui import __version__

USER_AGENT = f"benefits-tui/{__version__}"
SNIPPET_CHARS = 200


MIN_SCRUB_LENGTH = 6


class _BearerAuth(httpx.Auth):
    """Adds the bearer token to each request; shows nothing of it in a repr."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def scrub(self, text: str) -> str:
        """*text* with the token (if it appears) replaced by ``***``.

        A token of a few characters (a demo's ``t``) would turn every sentence into
        asterisks, and hiding it protects nothing: only real-length tokens are scrubbed.
        """
        return text.replace(self._token, "***") if len(self._token) >= MIN_SCRUB_LENGTH else text

    def scrub_bytes(self, body: bytes) -> bytes:
        """*body* with the token (if a careless platform echoed it back) replaced by ``***``."""
        if len(self._token) < MIN_SCRUB_LENGTH:
            return body
        token = self._token.encode("utf-8")
        return body.replace(token, b"***") if token in body else body

    def __repr__(self) -> str:
        return "_BearerAuth(token=***)"


def parse_retry_after(
    value: str | None, *, default: float = 1.0, now: float | None = None
) -> float:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date."""
    if value is None or not value.strip():
        return default
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return default
        if when is None or when.tzinfo is None:
            return default
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return default
    return seconds


def _safe_url(url: httpx.URL | str) -> str:
    """The URL without user info or query string (which could carry secrets)."""
    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))


_HEADER_SAFE = re.compile(r"[\x21-\x7e][\x20-\x7e]*[\x21-\x7e]|[\x21-\x7e]")
"""A value an HTTP header carries as is: visible ASCII, inner spaces allowed."""

DEADLINE_FACTOR = 3.0  # a whole request may take this many read timeouts


def _unanswered(what: str, is_write: bool, code: str) -> PlatformTimeout:
    """A request left without an answer: a write may have been applied, so it is ambiguous,
    and its message says what to do."""
    if is_write:
        what += " — the change may have been applied; retry with the same idempotency key."
    else:
        what += "."
    return PlatformTimeout(what, ambiguous=is_write, code=code)


class BenefitsClient:
    """``async with BenefitsClient(base_url, token) as client: ...`` — the platform's API.

    ``timeout`` is the read/write/pool timeout in seconds (connect is capped at 5 s) or an
    ``httpx.Timeout``; ``max_connections`` bounds the pool; ``transport`` replaces the network
    (e.g. ``httpx.ASGITransport(app=...)`` in tests). ``get_retries`` bounds the automatic
    retries of GETs on transient errors (429 is never retried here: the caller knows how long
    to wait from :class:`Throttled`).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float | httpx.Timeout = 10.0,
        max_connections: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
        get_retries: int = 2,
    ) -> None:
        if not base_url:
            raise PlatformUnreachable("no Benefits platform URL: set BENEFITS_API_URL")
        if not token:
            raise AuthError(
                "no Benefits API token: set BENEFITS_API_TOKEN", status_code=None, code="no_token"
            )
        if not _HEADER_SAFE.fullmatch(token):
            # Said without the token: a header cannot carry it, and it must not be echoed.
            raise AuthError(
                "The Benefits API token holds characters an HTTP header cannot carry (a line "
                "break, a control or non-ASCII character): check BENEFITS_API_TOKEN.",
                code="unusable_token",
            )
        if isinstance(timeout, httpx.Timeout):
            timeouts = timeout
        else:
            timeouts = httpx.Timeout(
                connect=min(5.0, timeout), read=timeout, write=timeout, pool=timeout
            )
        self._auth = _BearerAuth(token)
        # httpx times each socket read; a platform that drips a byte at a time (slow-loris)
        # would never trip it. Every request also has a deadline for the whole exchange.
        self.deadline = DEADLINE_FACTOR * float(timeouts.read or 10.0)
        try:
            self.base_url = _safe_url(base_url.rstrip("/"))
        except httpx.InvalidURL as exc:
            raise PlatformUnreachable(
                f"BENEFITS_API_URL is not a usable URL ({exc}).", code="bad_url"
            ) from None
        self.max_connections = max_connections
        self._delays = GET_RETRY.delays(get_retries)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=self._auth,
            timeout=timeouts,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json, application/problem+json",
            },
            follow_redirects=False,
            trust_env=transport is None,
        )

    def __repr__(self) -> str:
        return f"BenefitsClient(base_url={self.base_url!r}, max_connections={self.max_connections})"

    async def __aenter__(self) -> BenefitsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # ------------------------------------------------------------------ calls
    async def check_connection(self) -> None:
        """Raise a :class:`PlatformError` with a clear message unless URL and token work."""
        await self._get("/v1/health")

    async def find_account_by_email(self, email: str) -> Account | None:
        """The account holding *email* (case-insensitive), or None.

        Raises :class:`ConflictError` (``multiple_accounts_for_email``) when the platform
        holds several: linking to one of them would be a guess.
        """
        body = await self._get("/v1/accounts", params={"email": _text(email, "email")})
        items = self._data_list(body, "/v1/accounts")
        if not items:
            return None
        if len(items) > 1:
            ids = ", ".join(str(i.get("id")) for i in items if isinstance(i, Mapping))
            raise ConflictError(
                f"The Benefits platform holds {len(items)} accounts for this email ({ids}); "
                "resolve the duplicate there before linking.",
                status_code=200,
                code="multiple_accounts_for_email",
            )
        return self._account(items[0], "/v1/accounts")

    async def list_accounts(
        self,
        *,
        limit: int = LIST_LIMIT_DEFAULT,
        cursor: str | None = None,
        updated_since: datetime | None = None,
    ) -> AccountPage:
        """One page of every account the platform holds, in its stable order (by ``id``).

        Pass the previous page's ``next_cursor`` (with the same *updated_since*) for the
        next page; it is None on the last. *updated_since* keeps the accounts changed at
        or after that moment (whole seconds; a naive datetime is taken as UTC). *limit* is
        1..500. Raises :class:`InvalidRequest` for arguments the platform cannot accept.
        """
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= LIST_LIMIT_MAX
        ):
            raise InvalidRequest(f"limit must be from 1 to {LIST_LIMIT_MAX}, not {limit!r}")
        params = {"limit": str(limit)}
        if cursor is not None:
            if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
                raise InvalidRequest("cursor must be a next_cursor the platform gave out")
            params["cursor"] = _text(cursor, "cursor")
        if updated_since is not None:
            params["updated_since"] = _rfc3339(updated_since)
        body = await self._get("/v1/accounts", params=params)
        items = self._data_list(body, "/v1/accounts")
        next_cursor = body.get("next_cursor")
        if next_cursor is not None and (
            not isinstance(next_cursor, str)
            or not next_cursor
            or len(next_cursor) > MAX_CURSOR_LENGTH
        ):
            raise ProtocolError(
                "The Benefits platform answered GET /v1/accounts with an unusable next_cursor.",
                code="malformed_body",
            )
        if len(items) > limit:
            raise ProtocolError(
                f"The Benefits platform answered GET /v1/accounts with {len(items)} accounts "
                f"where at most {limit} were asked for.",
                code="malformed_body",
            )
        accounts = tuple(self._account(item, "/v1/accounts") for item in items)
        return AccountPage(accounts=accounts, next_cursor=next_cursor)

    async def iter_accounts(
        self, *, updated_since: datetime | None = None, page_size: int = LIST_LIMIT_MAX
    ) -> AsyncIterator[Account]:
        """Every account (changed at or after *updated_since*), page after page.

        Raises :class:`ProtocolError` if the platform hands out a cursor it gave before
        (a loop that would never end).
        """
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = await self.list_accounts(
                limit=page_size, cursor=cursor, updated_since=updated_since
            )
            for item in page.accounts:
                yield item
            if page.next_cursor is None:
                return
            if page.next_cursor in seen:
                raise ProtocolError(
                    "The Benefits platform repeated a page cursor while listing accounts.",
                    code="cursor_loop",
                )
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    async def get_account(self, account_id: str) -> Account:
        """The account with this platform ID (raises :class:`NotFoundError`)."""
        path = f"/v1/accounts/{_segment(account_id)}"
        return self._account(await self._get(path), path)

    async def create_account(self, body: Mapping[str, Any], idempotency_key: str) -> WriteResult:
        """Create an account: 201 with it, or 202 with a job."""
        return await self._write("POST", "/v1/accounts", body, idempotency_key)

    async def update_account(
        self, account_id: str, body: Mapping[str, Any], idempotency_key: str
    ) -> WriteResult:
        """Partially update the account (by ID): 200 with it, or 202 with a job."""
        return await self._write(
            "PATCH", f"/v1/accounts/{_segment(account_id)}", body, idempotency_key
        )

    async def terminate_account(
        self, account_id: str, leave_date: str, reason: str, idempotency_key: str
    ) -> WriteResult:
        """End the account's coverage from *leave_date*: 200 with it, or 202 with a job."""
        body = {"leave_date": leave_date, "reason": reason}
        return await self._write(
            "POST", f"/v1/accounts/{_segment(account_id)}/termination", body, idempotency_key
        )

    async def get_job(self, job_id: str) -> Job:
        """The state of an async job (raises :class:`NotFoundError`)."""
        path = f"/v1/jobs/{_segment(job_id)}"
        return _parsed(Job.from_json, await self._get(path), f"GET {path} with an unusable job")

    async def list_benefit_levels(self) -> list[BenefitLevelInfo]:
        """The Benefits Levels the platform offers."""
        items = self._data_list(await self._get("/v1/benefit-levels"), "/v1/benefit-levels")
        levels = []
        for item in items:
            if not isinstance(item, Mapping) or not isinstance(item.get("code"), str):
                raise ProtocolError("The Benefits platform listed a benefit level without a code.")
            levels.append(
                BenefitLevelInfo(code=item["code"], name=str(item.get("name") or item["code"]))
            )
        return levels

    async def get_picklist(self, name: str) -> list[str]:
        """The values the platform accepts for picklist field *name*."""
        path = f"/v1/picklists/{_segment(name)}"
        return [str(v) for v in self._data_list(await self._get(path), path)]

    # -------------------------------------------------------------- plumbing
    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        attempt = 0
        while True:
            try:
                response = await self._send("GET", path, params=params)
                return self._decode(response, "GET", path)
            except Throttled:
                raise
            except TransientError:
                if attempt >= len(self._delays):
                    raise
                await asyncio.sleep(self._delays[attempt])
                gate = before_retry.get()
                if gate is not None:
                    await gate()
                attempt += 1

    async def _write(
        self, method: str, path: str, body: Mapping[str, Any], idempotency_key: str
    ) -> WriteResult:
        if not isinstance(idempotency_key, str) or not IDEMPOTENCY_KEY_RE.fullmatch(
            idempotency_key
        ):
            raise InvalidRequest(
                f"An idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII "
                "characters (no spaces or line breaks); nothing was sent.",
                code="bad_idempotency_key",
            )
        response = await self._send(
            method, path, content=_encode_body(body), idempotency_key=idempotency_key
        )
        data = self._decode(response, method, path)
        replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
        if response.status_code == 202:
            job = data.get("job") if isinstance(data, Mapping) else None
            parsed = _parsed(Job.from_json, job, f"{method} {path} with 202 but no usable job")
            return WriteResult(202, None, parsed, replayed)
        return WriteResult(response.status_code, self._account(data, path), None, replayed)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        if content is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        where = f"{self.base_url}{path}"
        is_write = method != "GET"
        try:
            try:
                return await asyncio.wait_for(
                    self._http.request(
                        method, path, params=params, content=content, headers=headers
                    ),
                    timeout=self.deadline,
                )
            except TimeoutError:
                raise _unanswered(
                    f"The Benefits platform took longer than {self.deadline:g} s to answer "
                    f"{method} {where}",
                    is_write,
                    "deadline_exceeded",
                ) from None
        except httpx.ConnectTimeout:
            raise PlatformUnreachable(
                f"Timed out connecting to the Benefits platform at {self.base_url}: check "
                "BENEFITS_API_URL "
                "and that the platform is up.",
                code="connect_timeout",
            ) from None
        except httpx.PoolTimeout:
            raise PlatformTimeout(
                f"No free connection to the Benefits platform within the timeout ({method} "
                f"{path}).",
                ambiguous=False,
                code="pool_timeout",
            ) from None
        except httpx.TimeoutException as exc:
            raise _unanswered(
                f"The Benefits platform did not answer {method} {where} in time",
                is_write,
                type(exc).__name__,
            ) from None
        except httpx.ConnectError as exc:
            raise PlatformUnreachable(
                f"Cannot reach the Benefits platform at {self.base_url} "
                f"({self._auth.scrub(str(exc)) or 'connection failed'}): "
                "check BENEFITS_API_URL and that the platform is up.",
                code="connect_error",
            ) from None
        except (
            httpx.RemoteProtocolError,
            httpx.ReadError,
            httpx.WriteError,
            httpx.CloseError,
        ) as exc:
            raise _unanswered(
                f"The connection to the Benefits platform dropped during {method} {where}",
                is_write,
                type(exc).__name__,
            ) from None
        except httpx.LocalProtocolError as exc:  # e.g. a header this client let through
            raise InvalidRequest(
                f"The request {method} {path} could not be sent "
                f"({self._auth.scrub(str(exc))}); nothing was sent.",
                code="unsendable_request",
            ) from None
        except httpx.UnsupportedProtocol:
            raise PlatformUnreachable(
                f"BENEFITS_API_URL must start with http:// or https:// (got {self.base_url}).",
                code="bad_url",
            ) from None
        except httpx.HTTPError as exc:
            raise PlatformUnreachable(
                f"Request to the Benefits platform at {self.base_url} failed "
                f"({type(exc).__name__}): "
                "check BENEFITS_API_URL.",
                code=type(exc).__name__,
            ) from None

    def _decode(self, response: httpx.Response, method: str, path: str) -> Any:
        """The JSON body of a 2xx answer; otherwise raise the matching error."""
        status = response.status_code
        where = f"{method} {path}"
        if 200 <= status < 300:
            try:
                return self._json(response)
            except (ValueError, UnicodeDecodeError):
                raise ProtocolError(
                    f"The Benefits platform answered {where} with {status} but the body is not "
                    "JSON: "
                    f"{self._snippet(response)}",
                    status_code=status,
                    code="malformed_json",
                ) from None
        problem = self._problem(response)
        reason = problem.summary() if problem else self._snippet(response)
        reason = self._auth.scrub(reason)
        code = problem.code if problem else None
        if status in (401, 403):
            raise AuthError(
                f"The Benefits platform refused the API token ({status}): check "
                "BENEFITS_API_TOKEN.",
                status_code=status,
                code=code or "unauthorized",
                problem=problem,
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise Throttled(
                "The Benefits platform is rate limiting requests (429); retry after "
                f"{retry_after:g} s.",
                retry_after=retry_after,
                status_code=status,
                code=code or "rate_limited",
                problem=problem,
            )
        if status >= 500:
            raise ServerError(
                f"The Benefits platform had a temporary error ({status}) on {where}: {reason}",
                status_code=status,
                code=code or "server_error",
                problem=problem,
            )
        if problem is None:
            hint = " — is BENEFITS_API_URL right?" if status == 404 else ""
            raise ProtocolError(
                f"The Benefits platform answered {where} with {status} and a body that is not a "
                "problem "
                f"document{hint}: {self._snippet(response)}",
                status_code=status,
                code="unexpected_response",
            )
        if status == 404:
            raise NotFoundError(f"Benefits rejected: {reason}", status_code=status, problem=problem)
        if status == 409:
            cls = InFlightConflict if code == "idempotency_key_in_use" else ConflictError
            raise cls(f"Benefits rejected: {reason}", status_code=status, problem=problem)
        if status == 422 and code == "idempotency_key_reused":
            raise ConflictError(f"Benefits rejected: {reason}", status_code=status, problem=problem)
        if status in (400, 422):
            raise ValidationFailed(
                f"Benefits rejected: {reason}", status_code=status, problem=problem
            )
        raise ProtocolError(
            f"The Benefits platform answered {where} with an unexpected {status}: {reason}",
            status_code=status,
            code=code or "unexpected_status",
            problem=problem,
        )

    def _json(self, response: httpx.Response) -> Any:
        """The body parsed as strict JSON, without the token: whatever a platform echoes back
        (an account, a problem's detail, a job's error) may end up in history or on screen.

        Raises ValueError for anything that is not plain JSON text: bytes that are not
        UTF-8, ``NaN``/``Infinity``, nesting too deep, a lone surrogate escape."""
        try:
            value = json.loads(
                self._auth.scrub_bytes(response.content).decode("utf-8"),
                parse_constant=_refuse_constant,
            )
        except RecursionError:
            raise ValueError("nested too deeply") from None
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise ValueError("a lone surrogate, or nested too deeply") from None
        return value

    def _problem(self, response: httpx.Response) -> Problem | None:
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type:
            return None
        try:
            data = self._json(response)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, Mapping) or not (
            data.get("code") or data.get("title") or data.get("detail")
        ):
            return None
        return Problem.from_json(data, status=response.status_code)

    def _snippet(self, response: httpx.Response) -> str:
        try:
            text = response.text
        except (UnicodeDecodeError, LookupError, httpx.ResponseNotRead):
            text = repr(response.content[:SNIPPET_CHARS])
        text = " ".join(text.split())
        if len(text) > SNIPPET_CHARS:
            text = text[:SNIPPET_CHARS] + "…"
        text = self._auth.scrub(text)
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return f"({kind}) {text!r}" if text else f"({kind}) empty body"

    def _data_list(self, body: Any, path: str) -> list[Any]:
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, list):
            raise ProtocolError(
                f"The Benefits platform answered GET {path} without a data list: "
                f"{json.dumps(body)[:SNIPPET_CHARS]}",
                code="malformed_body",
            )
        return data

    def _account(self, data: Any, path: str) -> Account:
        return _parsed(Account.from_json, data, f"{path} with an unusable account")


_T = TypeVar("_T")


def _parsed(parse: Callable[[Mapping[str, Any]], _T], data: Any, answered: str) -> _T:
    """``parse(data)``; data that is not a JSON object, or that ``parse`` refuses, is the
    platform's fault: a ProtocolError saying it answered ``answered``."""
    try:
        return parse(data if isinstance(data, Mapping) else {})
    except ValueError as exc:
        raise ProtocolError(f"The Benefits platform answered {answered}: {exc}.") from None


def _segment(value: str) -> str:
    """*value* made safe as one path segment."""
    if not isinstance(value, str) or not value:
        raise InvalidRequest("An empty id cannot name a resource; nothing was sent.")
    return quote(_text(value, "an id"), safe="")


def _text(value: str, what: str) -> str:
    """*value*, refused (:class:`InvalidRequest`) unless it is text UTF-8 can carry."""
    try:
        value.encode("utf-8")
    except (UnicodeEncodeError, AttributeError):
        raise InvalidRequest(
            f"{what} is not text that can be sent (a lone surrogate?); nothing was sent."
        ) from None
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _encode_body(body: Mapping[str, Any]) -> bytes:
    """*body* as UTF-8 JSON; :class:`InvalidRequest` when JSON cannot carry it."""
    try:
        return json.dumps(
            dict(body), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError) as exc:
        # NaN or infinity (ValueError), a value JSON has no type for (TypeError), nesting
        # too deep, a lone surrogate: a caller's mistake, found before anything is sent.
        reason = (
            "it nests too deeply"
            if isinstance(exc, RecursionError)
            else "it holds a lone surrogate"
            if isinstance(exc, UnicodeEncodeError)
            else "it holds NaN, infinity or a value JSON has no type for"
        )
        raise InvalidRequest(
            f"The request body cannot be sent as JSON: {reason}; nothing was sent.",
            code="unencodable_body",
        ) from None


def _rfc3339(moment: datetime) -> str:
    """*moment* as an RFC 3339 UTC timestamp in whole seconds (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        raise InvalidRequest(f"updated_since {moment.isoformat()} is out of range") from None


__all__ = ["USER_AGENT", "BenefitsClient", "PlatformError", "parse_retry_after"]
