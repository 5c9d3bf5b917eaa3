"""HTTP plumbing: the threaded server, the request pipeline, logging, the command line."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import control, faults, routes
from .demo import DEFAULT_PERIOD_S
from .fixtures import DEFAULT_DIR, Fixtures
from .responses import Request, Response, json_response
from .state import FakeState


def log(line: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    sys.stderr.write(f"{stamp} fake_upstream: {line}\n")
    sys.stderr.flush()


def handle(state: FakeState, request: Request) -> Response:
    """One upstream request: record it, apply latency and faults, then route it."""
    if control.is_control(request.path):
        return control.dispatch(state, request)
    entry = state.log.record(request)
    delay_ms, fault = state.faults.take(request.path)
    delay_ms += state.scenario.get().latency_ms
    if delay_ms:
        state.interrupter.sleep(delay_ms / 1000)

    def serve() -> Response:
        return routes.dispatch(state, request)

    if fault:
        response = faults.respond(fault, request, serve, state.interrupter, state.ratelimit_header)
    else:
        response = serve()
    state.log.finish(entry, response, fault.kind if fault else None)
    return response


class FakeHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 with Content-Length on every answer, so clients can keep connections alive as with the real APIs.
    protocol_version = "HTTP/1.1"
    # Head and body go out in separate writes; without TCP_NODELAY, Nagle plus delayed ACK would add
    # ~40 ms to every answer on a kept-alive connection, which real APIs do not.
    disable_nagle_algorithm = True
    server_version = "fake-upstream/1.0"
    sys_version = ""
    server: "FakeServer"

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        try:
            request = Request(self.command, path, query, self.headers, self._read_body())
            response = handle(self.server.state, request)
        except Exception as exc:  # keep serving; the type is enough to debug, the message could hold a body
            log(f"internal error {type(exc).__name__} on {self.command} {path}")
            response = json_response(500, {"error": "fake_internal_error", "type": type(exc).__name__})
        try:
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first, e.g. on its own timeout

    def _send(self, response: Response) -> None:
        if response.drop:
            self.close_connection = True
            if response.reset:
                # Linger 0 turns the close into an RST: the client sees "connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            self.log_request("dropped")
            return
        self.send_response_only(response.status)
        self.log_request(response.status)
        # Server and Date only when the response has none of its own (Cloudflare's page sets Server).
        names = {key.lower() for key, _ in response.headers}
        if "server" not in names:
            self.send_header("Server", self.server_version)
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        for key, value in response.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    # Never log query strings (TMDB's ?api_key=), headers or bodies: only method, path, status.
    def log_request(self, code: object = "-", size: object = "-") -> None:
        path = (getattr(self, "path", "") or "").split("?", 1)[0]
        log(f"{getattr(self, 'command', None) or '-'} {path} {int(code) if isinstance(code, int) else code}")

    def log_error(self, format: str, *args: object) -> None:
        # The args can carry the raw request line, and with it the query string: keep the template only.
        log("error: " + format.split("%", 1)[0].strip())

    def log_message(self, format: str, *args: object) -> None:
        self.log_error(format, *args)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    # Don't wait for idle keep-alive connections (libcurl keeps them open) when closing.
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: FakeState) -> None:
        self.state = state
        super().__init__(address, FakeHandler)


def write_atomically(path: Path, text: str) -> None:
    # Readers poll for the file; a rename means they never see it half-written.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fake_upstream.py",
        description="Loopback fake of the Trakt API, Trakt OAuth and TMDB on one port. See Tests/Fake/README.md.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument("--demo", action="store_true", help="lenient credentials and an alternating sample")
    parser.add_argument("--demo-period", type=float, default=DEFAULT_PERIOD_S,
                        help=f"seconds between demo changes (default {DEFAULT_PERIOD_S:g})")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_DIR, help="directory of recorded bodies")
    args = parser.parse_args(argv)

    state = FakeState(Fixtures(args.fixtures), demo_mode=args.demo, demo_period=args.demo_period)
    server = FakeServer((args.host, args.port), state)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="serve", daemon=True)
    thread.start()
    port = server.server_address[1]
    if args.port_file:
        write_atomically(args.port_file, f"{port}\n")
    log(f"listening on http://{args.host}:{port}{' (demo)' if args.demo else ''}")

    stop.wait()
    log("shutting down")
    state.interrupter.interrupt_all()  # hung requests must not hold up the exit
    server.shutdown()
    server.server_close()
    if args.port_file:
        args.port_file.unlink(missing_ok=True)
    return 0
