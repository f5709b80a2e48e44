"""The benchmarks' network model (benchmarks/netem.py): bytes unchanged, latency added, threads stopped.

Only lower bounds on time (a slow machine can only make them more true).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# benchmarks/ is not an installed package: load the module from its file.
_SPEC = importlib.util.spec_from_file_location(
    "benchmarks_netem", Path(__file__).resolve().parent.parent / "benchmarks" / "netem.py"
)
assert _SPEC is not None and _SPEC.loader is not None
netem = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = netem
_SPEC.loader.exec_module(netem)
Netem = netem.Netem

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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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
