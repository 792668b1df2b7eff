"""A real HTTP server on loopback that plays an order system receiving webhooks: it answers
each request by a script (fail with 500, time out, accept with 200) and keeps what it got."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAIL, TIMEOUT, ACCEPT = "fail", "timeout", "accept"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answer: str


@dataclass
class Receiver:
    url: str
    script: list[str]
    hang_seconds: float
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else ACCEPT

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.answer == ACCEPT]


@contextmanager
def webhook_receiver(
    script: list[str], *, hang_seconds: float = 3.0, tls: ssl.SSLContext | None = None
) -> Iterator[Receiver]:
    """Answer requests by `script` in order, then accept every later one; over HTTPS with the
    certificate `tls` holds, if given."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            answer = receiver.next_answer()
            with receiver.lock:
                receiver.received.append(Received(dict(self.headers.items()), body, answer))
            if answer == TIMEOUT:
                time.sleep(hang_seconds)
            try:
                self.send_response(200 if answer == ACCEPT else 500)
                self.end_headers()
                self.wfile.write(b"ok" if answer == ACCEPT else b"try later")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting, as it should

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver = Receiver(
        url=f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}/hooks",
        script=list(script),
        hang_seconds=hang_seconds,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
