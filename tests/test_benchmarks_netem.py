"""The benchmarks' network model (benchmarks/netem.py): bytes unchanged, latency added, bandwidth capped
per connection and per shared link, threads stopped.

Only lower bounds on time (a slow machine can only make them more true).
"""

from __future__ import annotations

import http.client
import http.server
import os
import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
from helpers.netem import Netem, netem

PAYLOAD = os.urandom(3 * 1024 * 1024 + 17)


class _Upstream(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(socketserver.StreamRequestHandler):
    """Per line received: 'big' → PAYLOAD, anything else → the line reversed. EOF ends the connection."""

    def handle(self) -> None:
        for line in self.rfile:
            word = line.rstrip(b"\n")
            body = PAYLOAD if word == b"big" else word[::-1]
            self.wfile.write(len(body).to_bytes(8, "big") + body)
            self.wfile.flush()


@pytest.fixture
def upstream() -> Iterator[int]:
    server = _Upstream(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _ask(sock: socket.socket, word: bytes) -> bytes:
    sock.sendall(word + b"\n")
    reader = sock.makefile("rb")
    size = int.from_bytes(reader.read(8), "big")
    body = reader.read(size)
    reader.close()
    return body


def test_forwards_bytes_unchanged_and_adds_the_latency(upstream: int) -> None:
    with Netem(upstream, latency_s=0.05) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            started = time.monotonic()
            assert _ask(sock, b"big") == PAYLOAD
            first = time.monotonic() - started
            # A second request on the same connection is delayed again.
            started = time.monotonic()
            assert _ask(sock, b"hello") == b"olleh"
            second = time.monotonic() - started
    assert first >= 0.05
    assert second >= 0.05


def test_bandwidth_cap_per_connection(upstream: int) -> None:
    with Netem(upstream, latency_s=0.0, bytes_per_s=20e6) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            started = time.monotonic()
            assert _ask(sock, b"big") == PAYLOAD
            elapsed = time.monotonic() - started
    assert elapsed >= len(PAYLOAD) / 20e6 * 0.95  # 3 MiB at 20 MB/s: at least ~0.16 s


def test_shared_link_caps_all_connections_together(upstream: int) -> None:
    """4 parallel connections through a 40 MB/s link: together at most ~40 MB/s (each alone is uncapped)."""
    link, clients = 40e6, 4
    bodies: list[bytes] = []
    proxy = Netem(upstream, latency_s=0.0, link_bytes_per_s=link)
    with proxy as url:
        port = int(url.rsplit(":", 1)[1])

        def fetch() -> None:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                bodies.append(_ask(sock, b"big"))

        threads = [threading.Thread(target=fetch) for _ in range(clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert bodies == [PAYLOAD] * clients
    assert proxy.connections == clients
    # The bucket lets at most one burst (64 KiB) through beyond the rate: 12 MiB take >= ~0.31 s.
    total = clients * len(PAYLOAD)
    assert total / elapsed <= link * 1.05
    assert proxy.threads_alive() == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("netem")]


def test_per_connection_cap_still_applies_under_a_fast_shared_link(upstream: int) -> None:
    with Netem(upstream, latency_s=0.0, bytes_per_s=20e6, link_bytes_per_s=1e9) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            started = time.monotonic()
            assert _ask(sock, b"big") == PAYLOAD
            elapsed = time.monotonic() - started
    assert elapsed >= len(PAYLOAD) / 20e6 * 0.95


def test_token_bucket_grants_a_burst_then_the_rate_and_queues_debt() -> None:
    now = [100.0]
    bucket = netem.TokenBucket(1000.0, burst=500.0, clock=lambda: now[0])
    assert bucket.take(500) == 0.0  # the initial burst
    assert bucket.take(250) == pytest.approx(0.25)  # 250 bytes of debt at 1000 B/s
    assert bucket.take(250) == pytest.approx(0.5)  # queued behind the first debt
    now[0] += 0.5
    assert bucket.take(0) == 0.0  # repaid
    now[0] += 3600  # an idle link refills to the burst, no more
    assert bucket.take(500) == 0.0
    assert bucket.take(1000) == pytest.approx(1.0)


def test_stop_ends_every_thread_and_the_listener(upstream: int) -> None:
    proxy = Netem(upstream, latency_s=0.01)
    proxy.start()
    idle = socket.create_connection(("127.0.0.1", proxy.port))  # a connection left open by its client
    with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
        assert _ask(sock, b"abc") == b"cba"
    assert proxy.connections == 2
    proxy.stop()
    idle.close()
    assert proxy.threads_alive() == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("netem")]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()


def test_negative_latency_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Netem(1, latency_s=-1)
    with pytest.raises(ValueError, match="negative"):
        Netem(1, link_bytes_per_s=-1)
    with pytest.raises(ValueError, match="positive"):
        netem.TokenBucket(0)


class _Http(http.server.ThreadingHTTPServer):
    daemon_threads = True
    seen: list[str]


class _HttpHandler(http.server.BaseHTTPRequestHandler):
    """``GET <path>``: 1000 bytes, ``Connection: close`` (as moto answers); every path is recorded."""

    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        body = b"x" * 1000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def http_upstream() -> Iterator[_Http]:
    server = _Http(("127.0.0.1", 0), _HttpHandler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _get(port: int, path: str, timeout: float = 10) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


def test_faults_apply_to_matching_requests_only(http_upstream: _Http) -> None:
    upstream = http_upstream.server_address[1]
    proxy = Netem(upstream, latency_s=0.0)
    with proxy:
        reset = proxy.add_fault("reset", r"GET /before")
        after = proxy.add_fault("reset-after", r"GET /after")
        cut = proxy.add_fault("truncate", r"GET /cut", keep=0.3)
        proxy.add_fault("blackhole", r"GET /hole")
        once = proxy.add_fault("reset", r"GET /once", times=1)
        proxy.add_fault("delay", r"GET /slow", seconds=0.3)
        with pytest.raises(ConnectionResetError):
            _get(proxy.port, "/before")
        with pytest.raises(ConnectionResetError):
            _get(proxy.port, "/after")
        with pytest.raises(http.client.IncompleteRead) as incomplete:
            _get(proxy.port, "/cut")
        assert len(incomplete.value.partial) == 300
        with pytest.raises(TimeoutError):
            _get(proxy.port, "/hole", timeout=0.5)
        with pytest.raises(ConnectionResetError):
            _get(proxy.port, "/once")
        assert _get(proxy.port, "/once") == b"x" * 1000  # the fault was for the first one only
        started = time.monotonic()
        assert _get(proxy.port, "/slow") == b"x" * 1000
        assert time.monotonic() - started >= 0.3
        assert _get(proxy.port, "/other") == b"x" * 1000
        assert (reset.hits, after.hits, cut.hits, once.hits) == (1, 1, 1, 1)
    # reset and black hole: the server never saw the request; reset-after and truncate: it did
    assert sorted(http_upstream.seen) == ["/after", "/cut", "/once", "/other", "/slow"]
    assert proxy.threads_alive() == 0


def test_unknown_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        netem.Fault("drop")
    with pytest.raises(ValueError, match="keep"):
        netem.Fault("truncate", keep=1.0)
