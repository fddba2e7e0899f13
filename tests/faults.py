"""A misbehaving Benefits platform: the simulator behind a switchable fault.

:class:`FaultyPlatform` is an ASGI app: tests reach it through ``.transport`` (fast, no
socket) or serve it on a real socket with :func:`serve_in_thread` (for the CLI in a
subprocess). With ``fault`` unset every request goes to the simulator; otherwise:

- ``"throttle"``: every ``/v1`` request is answered 429 with ``retry_after`` (for ever);
- ``"hostile"``: creates are answered 422 with a problem full of terminal escapes;
- ``"down"``: every ``/v1`` request fails to connect (an outage);
- ``"hide_accounts"``: look-ups by email find nothing (a slow platform's index);
- ``"hide_jobs"``: the same, and job look-ups say ``pending`` whatever the job did;
- ``"lost_answers"``: creates are done but their answer never arrives (a read timeout),
  and look-ups find nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from tests.helpers import Simulator

# Everything a hostile platform could put in a problem to take over a terminal.
OSC52 = "\x1b]52;c;ZXZpbCBjbGlwYm9hcmQ=\x07"  # write to the clipboard
CLEAR = "\x1b[2J\x1b[H"  # clear screen, cursor home
TITLE = "\x1b]0;pwned\x07"  # set the window title
RLO = "\u202e"  # right-to-left override
CSI8 = "\x9b31m"  # an 8-bit CSI (red)
HOSTILE = f"bad{OSC52}{CLEAR}{TITLE}{RLO}gnp.exe{CSI8}red"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")

HOSTILE_PROBLEM = {
    "type": "about:blank",
    "status": 422,
    "code": "validation_failed",
    "title": f"Invalid {TITLE}",
    "detail": f"rejected {HOSTILE}",
    "errors": [{"field": f"surname{CLEAR}", "code": "invalid", "message": HOSTILE * 300}],
}


def raw_controls(text: str) -> list[str]:
    """The raw control characters of :data:`RAW_CONTROLS` found in ``text``."""
    return [char for char in RAW_CONTROLS if char in text]


class FaultyPlatform:
    """The simulator, behind a fault that tests switch on and off (see the module).

    ``times`` limits the fault to that many answers (then it switches itself off);
    ``fault_for`` to that many seconds from now.
    """

    def __init__(self, **simulator_options: Any) -> None:
        self.sim = Simulator(**simulator_options)
        self.fault: str | None = None
        self.retry_after = "1"
        self.times: int | None = None
        self.until: float | None = None
        self.calls: Counter[str] = Counter()
        self.transport = httpx.ASGITransport(app=self)

    def fault_for(self, fault: str, seconds: float) -> None:
        self.fault, self.until = fault, time.monotonic() + seconds

    def _active(self) -> str | None:
        if self.until is not None and time.monotonic() >= self.until:
            self.fault = self.until = None
        if self.times is not None and self.times <= 0:
            self.fault = self.times = None
        return self.fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self._active() if scope["type"] == "http" else None
        if not fault or not scope["path"].startswith("/v1"):
            await self.sim.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        self.calls[f"{fault} {method} {path}"] += 1
        if self.times is not None:
            self.times -= 1
        if fault == "down":
            raise httpx.ConnectError("connection refused (fault: down)")
        if fault == "throttle":
            await _answer(
                send,
                429,
                {"status": 429, "code": "rate_limited", "title": "Too many requests"},
                {"retry-after": self.retry_after},
            )
            return
        if fault == "hostile" and method == "POST" and path == "/v1/accounts":
            await _answer(send, 422, HOSTILE_PROBLEM)
            return
        if fault == "lost_answers" and method == "POST" and path == "/v1/accounts":
            # The platform does the create; its answer never arrives.
            await self.sim.app(scope, receive, _swallow)
            raise httpx.ReadTimeout("the answer was lost (fault: lost_answers)")
        if fault in ("hide_jobs", "hide_accounts", "lost_answers"):
            if fault == "hide_jobs" and path.startswith("/v1/jobs/"):
                job_id = path.rsplit("/", 1)[-1]
                await _answer(send, 200, {"id": job_id, "status": "pending"})
                return
            if method == "GET" and path == "/v1/accounts":
                await _answer(send, 200, {"data": [], "next_cursor": None})
                return
        await self.sim.app(scope, receive, send)


async def _swallow(message: Message) -> None:
    return None


async def _answer(
    send: Any, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    content = json.dumps(body).encode()
    kind = "application/json" if status < 400 else "application/problem+json"
    raw = [(b"content-type", kind.encode()), (b"content-length", str(len(content)).encode())]
    raw += [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    from benefits_tui.platform.simulator.server import _bind, _uvicorn_config

    sock = _bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
