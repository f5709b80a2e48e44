"""A network model for the benchmarks and the fault tests: a threaded TCP proxy on 127.0.0.1.

moto on 127.0.0.1 answers in a few milliseconds and is bound by its own CPU (one Python process);
real S3, Glue and Secrets Manager answer after tens of milliseconds of network and service time and
scale out. This proxy sits between a client and moto and forwards bytes unchanged, adding

- a fixed latency per request: the first byte of each response is held for ``latency_s`` before it
  is forwarded, on top of moto's own time (moto's server closes the connection after every
  response, so every request is a new connection here; connection set-up itself is not delayed, as
  a client reusing its connections to a real endpoint would not pay it), and
- optionally a bandwidth cap per connection (bytes per second) on the response direction, and
- optionally a shared link cap: one token bucket for the response bytes of all connections through
  the proxy, a model of the one network link (e.g. 1 Gbit/s = 125 MB/s) a real client host shares
  between all its connections. Both caps apply when both are set.

For the fault tests it also injects faults into the requests that match a pattern (a regular
expression searched in the request line and headers, e.g. ``AWSGlue\\.GetPartitions`` or
``list-type=2``), for all of them or for the first ``times``: :class:`Fault` ``reset`` (a TCP reset
before the request reaches the server), ``reset-after`` (the server handles the request, its client
gets a reset instead of the response), ``delay`` (the response held for ``seconds``), ``truncate``
(the response cut after its headers and a ``keep`` fraction of its body, then the connection
closed) and ``blackhole`` (the request is taken and never answered). A fault needs to see a
request's head first, so it applies to the first request of each connection: moto, the server the
tests use, answers every request with ``Connection: close``.

    python -m benchmarks.netem --upstream 127.0.0.1:5000 [--latency-ms 20] [--mbps 100] [--link-mbps 125]

prints ``listening on <port>`` and serves until interrupted. In-process: ``with Netem(...) as url``.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_CHUNK = 256 * 1024
_PIECE = 64 * 1024
"""Responses are paced in pieces of this size when a cap applies."""


class TokenBucket:
    """A token bucket shared by threads: ``take(n)`` → seconds to wait before sending ``n`` bytes.

    The bucket refills at ``rate`` bytes per second up to ``burst`` bytes. ``take`` always grants
    its bytes and lets the bucket go into debt; the caller waits until the debt is repaid, so later
    callers queue behind earlier ones and the bytes sent by all callers in any interval of ``t``
    seconds stay at or under ``burst + rate * t`` (plus the pieces in flight at its edges).
    """

    def __init__(
        self, rate: float, burst: float = _PIECE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("the link rate must be positive")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = burst
        self.updated = clock()
        self.lock = threading.Lock()

    def take(self, n: int) -> float:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate) - n
            self.updated = now
            return -self.tokens / self.rate if self.tokens < 0 else 0.0


FAULTS = ("reset", "reset-after", "delay", "truncate", "blackhole")
_HEAD_LIMIT = 64 * 1024


@dataclass
class Fault:
    """What to do to the requests whose head (request line and headers) matches ``pattern``."""

    action: str
    """One of :data:`FAULTS`."""
    pattern: str = ""
    """A regular expression searched in the request head ('' matches every request)."""
    times: int | None = None
    """How many matching requests to affect (None: every one)."""
    seconds: float = 0.0
    """``delay``: how long the response is held."""
    keep: float = 0.5
    """``truncate``: the fraction of the response body that is forwarded."""
    hits: int = 0
    """Requests affected so far."""
    _regex: re.Pattern[bytes] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.action not in FAULTS:
            raise ValueError(f"unknown fault {self.action!r}; known: {', '.join(FAULTS)}")
        if not 0 <= self.keep < 1 or self.seconds < 0:
            raise ValueError("keep must lie in [0, 1) and seconds must not be negative")
        self._regex = re.compile(self.pattern.encode())

    def claims(self, head: bytes) -> bool:
        """Does this fault apply to a request with ``head`` (counted as a hit when it does)?"""
        if (self.times is not None and self.hits >= self.times) or not self._regex.search(head):
            return False
        self.hits += 1
        return True


class _Link:
    """One client connection and its upstream connection: two pump threads."""

    def __init__(self, proxy: Netem, client: socket.socket, upstream: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.awaiting = False
        """A request was forwarded and its response has not started yet."""
        self.fault: Fault | None = None
        """The fault for this connection's request, decided before the request is forwarded."""
        self.was_reset = False
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._requests, name="netem-request", daemon=True),
            threading.Thread(target=self._responses, name="netem-response", daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _requests(self) -> None:
        try:
            if self.proxy.has_faults() and not self._first_request():
                return
            while data := self.client.recv(_CHUNK):
                with self.lock:
                    self.awaiting = True
                self.upstream.sendall(data)
            self.upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _first_request(self) -> bool:
        """Read the first request's head, decide its fault, forward it unless the fault says not to;
        True when the connection goes on as usual."""
        head = b""
        while b"\r\n\r\n" not in head and len(head) < _HEAD_LIMIT:
            data = self.client.recv(_CHUNK)
            if not data:
                self.upstream.shutdown(socket.SHUT_WR)
                return False
            head += data
        fault = self.proxy.fault_for(head.split(b"\r\n\r\n", 1)[0])
        self.fault = fault
        if fault is not None and fault.action == "reset":
            self.reset()
            return False
        if fault is not None and fault.action == "blackhole":
            while self.client.recv(_CHUNK):  # take everything, answer nothing, until the client gives up
                pass
            self.close()
            return False
        with self.lock:
            self.awaiting = True
        self.upstream.sendall(head)
        return True

    def _responses(self) -> None:
        rate, link = self.proxy.bytes_per_s, self.proxy.link
        try:
            started, sent = 0.0, 0
            while data := self.upstream.recv(_CHUNK):
                with self.lock:
                    first, self.awaiting = self.awaiting, False
                fault = self.fault
                if first and fault is not None and fault.action == "reset-after":
                    self.reset()  # the server did the work; its client never hears of it
                    return
                if first and fault is not None and fault.action == "truncate":
                    self._truncated(data, fault.keep)
                    return
                if first:  # the first bytes of a response: hold them for the latency
                    self.proxy.wait(self.proxy.latency_s + (fault.seconds if fault is not None else 0.0))
                    started, sent = time.monotonic(), 0
                if rate or link:
                    for start in range(0, len(data), _PIECE):
                        piece = data[start : start + _PIECE]
                        if link:  # the shared link: wait for this piece's turn
                            self.proxy.wait(link.take(len(piece)))
                        self.client.sendall(piece)
                        sent += len(piece)
                        if rate:  # this connection's own cap
                            self.proxy.wait(started + sent / rate - time.monotonic())
                else:
                    self.client.sendall(data)
                self.proxy.count_forwarded(len(data))
        except OSError:
            pass
        finally:
            self.close()

    def _truncated(self, data: bytes, keep: float) -> None:
        """The whole response (the server closes the connection after it), forwarded up to its headers
        and ``keep`` of its body; then the connection is closed."""
        while more := self.upstream.recv(_CHUNK):
            data += more
        head, separator, body = data.partition(b"\r\n\r\n")
        self.client.sendall(head + separator + body[: int(len(body) * keep)])
        self.proxy.count_forwarded(len(head) + int(len(body) * keep))
        self.close()

    def reset(self) -> None:
        """Abort the client's connection with a TCP reset (and drop the upstream one)."""
        self.was_reset = True
        with contextlib.suppress(OSError):
            self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # Wakes the other pump if it waits in recv on this socket: the reset goes out when the
            # last user of the socket lets go of it.
            self.client.shutdown(socket.SHUT_RD)
        self.client.close()
        with contextlib.suppress(OSError):
            self.upstream.shutdown(socket.SHUT_RDWR)
        self.upstream.close()

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            if not (sock is self.client and self.was_reset):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class Netem:
    """``with Netem(upstream_port, latency_s=0.02, bytes_per_s=100e6) as url:`` → ``http://127.0.0.1:<port>``.

    ``bytes_per_s`` caps each connection's responses; ``link_bytes_per_s`` caps the responses of all
    connections together (a shared :class:`TokenBucket`). ``None`` or 0: no cap.
    """

    def __init__(
        self,
        upstream_port: int,
        *,
        latency_s: float = 0.02,
        bytes_per_s: float | None = None,
        link_bytes_per_s: float | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if latency_s < 0:
            raise ValueError("latency must not be negative")
        if (bytes_per_s or 0) < 0 or (link_bytes_per_s or 0) < 0:
            raise ValueError("bandwidth caps must not be negative")
        self.upstream = (host, upstream_port)
        self.latency_s = latency_s
        self.bytes_per_s = bytes_per_s or 0.0
        self.link = TokenBucket(link_bytes_per_s) if link_bytes_per_s else None
        self.bytes_forwarded = 0
        self.connections = 0
        self.faults: list[Fault] = []
        self._count_lock = threading.Lock()
        self._stop = threading.Event()
        self._links: list[_Link] = []
        self._listener = socket.create_server((host, 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._acceptor = threading.Thread(target=self._accept, name="netem-accept", daemon=True)

    def add_fault(self, action: str, pattern: str = "", **options: Any) -> Fault:
        """Inject a fault into the requests matching ``pattern`` from now on (see :class:`Fault`);
        faults added earlier are tried first."""
        fault = Fault(action, pattern, **options)
        with self._count_lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._count_lock:
            self.faults.clear()

    def has_faults(self) -> bool:
        return bool(self.faults)

    def fault_for(self, head: bytes) -> Fault | None:
        """The first fault that claims a request with ``head``."""
        with self._count_lock:
            return next((fault for fault in self.faults if fault.claims(head)), None)

    def count_forwarded(self, size: int) -> None:
        with self._count_lock:
            self.bytes_forwarded += size

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            try:
                for sock in (client, upstream):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # reset as soon as it was accepted
                client.close()
                upstream.close()
                continue
            with self._count_lock:
                self.connections += 1
            link = _Link(self, client, upstream)
            self._links = [x for x in self._links if any(t.is_alive() for t in x.threads)] + [link]

    def start(self) -> str:
        self._acceptor.start()
        return self.url

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._acceptor.join(timeout=5)
        for link in list(self._links):
            link.close()
            for thread in link.threads:
                thread.join(timeout=5)

    def threads_alive(self) -> int:
        return sum(t.is_alive() for link in self._links for t in link.threads) + self._acceptor.is_alive()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


class NetemProcess:
    """The proxy in a process of its own (its CPU is not the client's): ``with NetemProcess(...) as url``."""

    def __init__(self, upstream_port: int, *, latency_ms: float, mbps: float, link_mbps: float = 0.0) -> None:
        self.args = ["--upstream", f"127.0.0.1:{upstream_port}", "--latency-ms", str(latency_ms)]
        self.args += ["--mbps", str(mbps), "--link-mbps", str(link_mbps)]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> str:
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.netem", *self.args],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self._end(self.process)
            raise RuntimeError(f"netem proxy did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[-1])}"
        return self.url

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __exit__(self, *_: Any) -> None:
        if self.process is not None:
            self._end(self.process)

    @staticmethod
    def _end(process: subprocess.Popen[str]) -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.netem", description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, metavar="HOST:PORT")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="first-byte latency per request")
    parser.add_argument(
        "--mbps", type=float, default=0.0, help="bandwidth cap per connection, MB/s (0: none)"
    )
    parser.add_argument(
        "--link-mbps",
        type=float,
        default=0.0,
        help="bandwidth cap of all connections together, MB/s (0: none)",
    )
    args = parser.parse_args(argv)
    host, port = args.upstream.rsplit(":", 1)
    proxy = Netem(
        int(port),
        latency_s=args.latency_ms / 1000,
        bytes_per_s=args.mbps * 1e6,
        link_bytes_per_s=args.link_mbps * 1e6,
        host=host,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with proxy:
        print(f"listening on {proxy.port}", flush=True)
        done.wait()


if __name__ == "__main__":
    main()
