"""Serving the simulator over real HTTP with uvicorn: blocking, or in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from benefits_tui.platform.simulator.app import create_app
from benefits_tui.platform.simulator.config import SimulatorConfig


def _uvicorn_config(app: object, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )


def serve(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the simulator until interrupted (Ctrl+C), printing its URL first."""
    app = create_app(config)
    try:
        sock = _bind(host, port)
        url = f"http://{host}:{sock.getsockname()[1]}"
        state = config.state_path or "memory"
        print(
            f"Benefits simulator listening on {url} (state: {state}); Ctrl+C stops it.", flush=True
        )
        uvicorn.Server(_uvicorn_config(app, host, port)).run(sockets=[sock])
    finally:
        app.state.sim.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it uvicorn's separate header/body writes stall ~40 ms on delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class RunningSimulator:
    """A simulator serving in a daemon thread; ``.url``, ``.stop()``, and a context manager."""

    def __init__(self, config: SimulatorConfig, host: str, port: int) -> None:
        self.config = config
        self.app = create_app(config)
        self._sock = _bind(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._server = uvicorn.Server(_uvicorn_config(self.app, host, self.port))
        self._thread = threading.Thread(
            target=self._run, name=f"benefits-simulator:{self.port}", daemon=True
        )
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # noqa: BLE001 - uvicorn exits on bad start; start() raises it
            self._error = exc

    def start(self, timeout: float = 10.0) -> RunningSimulator:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"simulator failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("simulator did not start in time")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving (hanging requests are cut after about a second) and close the state."""
        if self._thread.is_alive():
            self.app.state.sim.wake_hangs()
            self._server.should_exit = True
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        self._sock.close()
        self.app.state.sim.close()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningSimulator(url={self.url!r})"


def start_in_thread(
    config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0
) -> RunningSimulator:
    """Start a simulator on a (free, by default) loopback port in a background thread."""
    return RunningSimulator(config, host, port).start()
