"""A real HTTP receiver for webhook tests: `http.server` on a free loopback port, in a thread.

It records every request (path, headers, body) and answers from a script of (status, body)
pairs, the last one repeated; `delay` makes it answer late (the sender's timeout)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    script: list[tuple[int, str]] = field(default_factory=lambda: [(200, "ok")])
    requests: list[Received] = field(default_factory=list)
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    def answer(self) -> tuple[int, str]:
        index = min(len(self.requests) - 1, len(self.script) - 1)
        return self.script[index]


@contextmanager
def receiver(*script: tuple[int, str], delay: float = 0.0) -> Iterator[Receiver]:
    state = Receiver(url="", script=list(script) or [(200, "ok")], delay=delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            state.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if state.delay:
                time.sleep(state.delay)
            status, text = state.answer()
            payload = text.encode()
            self.send_response(status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/portal"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
