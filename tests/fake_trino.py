"""A small fake of Trino's HTTP statement protocol, served on 127.0.0.1 (HTTP or HTTPS).

It implements what the ``trino`` client uses: ``POST /v1/statement`` with the SQL as the body,
then ``GET nextUri`` pages (a QUEUED page without data, then data split over two pages), errors
in the ``error`` field, ``DELETE`` to cancel, and authentication (basic or bearer) answering 401
on a mismatch. Results come from a table of canned statements; this is not a SQL engine.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dataproduct_iac.settings import DEFAULT_TRINO_TAG

Rows = list[list[Any]]
Columns = list[tuple[str, str]]


@dataclass
class Result:
    columns: Columns
    rows: Rows


@dataclass
class FakeTrino:
    """Canned statements → results; records what clients sent."""

    results: dict[str, Result | Exception] = field(default_factory=dict)
    basic: tuple[str, str] | None = None
    bearer: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    scheme: str = "http"
    _queries: dict[str, tuple[str, Result | Exception]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def add(self, sql: str, columns: Columns, rows: Rows) -> None:
        self.results[_normal(sql)] = Result(columns, rows)

    def fail(self, sql: str, message: str) -> None:
        self.results[_normal(sql)] = RuntimeError(message)

    def start(self, *, certfile: Path | None = None, keyfile: Path | None = None) -> FakeTrino:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        if certfile is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-trino", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=10)

    # --- protocol -------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        if self.basic is None and self.bearer is None:
            return True
        if header is None:
            return False
        if self.basic is not None and header.startswith("Basic "):
            expected = base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            return header.removeprefix("Basic ") == expected
        if self.bearer is not None and header.startswith("Bearer "):
            return header.removeprefix("Bearer ") == self.bearer
        return False

    def submit(self, sql: str) -> tuple[str, Result | Exception]:
        with self._lock:
            self._counter += 1
            query_id = f"20260101_000000_{self._counter:05d}_fake0"
        outcome = self.results.get(_normal(sql))
        if outcome is None:
            outcome = RuntimeError(f"line 1:1: fake Trino has no canned result for: {sql.strip()[:80]}")
        self._queries[query_id] = (sql, outcome)
        return query_id, outcome

    def page(self, query_id: str, token: int) -> dict[str, Any]:
        _, outcome = self._queries[query_id]
        base = {"id": query_id, "infoUri": f"{self.url}/ui/query.html?{query_id}"}
        if token == 0:
            return {
                **base,
                "nextUri": f"{self.url}/v1/statement/executing/{query_id}/1",
                "stats": _stats("QUEUED"),
            }
        if isinstance(outcome, Exception):
            return {
                **base,
                "stats": _stats("FAILED"),
                "error": {
                    "message": str(outcome),
                    "errorCode": 1,
                    "errorName": "GENERIC_USER_ERROR",
                    "errorType": "USER_ERROR",
                    "failureInfo": {"type": "io.trino.spi.TrinoException", "message": str(outcome)},
                },
            }
        columns = [
            {"name": name, "type": kind, "typeSignature": _signature(kind)} for name, kind in outcome.columns
        ]
        half = (len(outcome.rows) + 1) // 2
        if token == 1:
            page = {**base, "columns": columns, "data": outcome.rows[:half], "stats": _stats("RUNNING")}
            page["nextUri"] = f"{self.url}/v1/statement/executing/{query_id}/2"
            return page
        return {**base, "columns": columns, "data": outcome.rows[half:], "stats": _stats("FINISHED")}


# -- the cluster health check's two queries (dataproduct_iac.trino.health) --------------------------
NODE_COLUMNS: Columns = [
    ("node_id", "varchar"),
    ("http_uri", "varchar"),
    ("node_version", "varchar"),
    ("coordinator", "boolean"),
    ("state", "varchar"),
]


def node_rows(workers: int, *, version: str = DEFAULT_TRINO_TAG, draining: int = 0) -> Rows:
    """``system.runtime.nodes``: one active coordinator, active workers and draining ones."""
    rows: Rows = [["coord", "http://10.0.0.1:8080", version, True, "active"]]
    rows += [[f"w{i}", f"http://10.0.1.{i}:8080", version, False, "active"] for i in range(workers)]
    rows += [[f"d{i}", f"http://10.0.2.{i}:8080", version, False, "shutting_down"] for i in range(draining)]
    return rows


def answer_health_check(fake: FakeTrino, nodes: Rows, catalogs: list[str]) -> None:
    """Canned answers to the health check's node and catalog queries."""
    from dataproduct_iac.trino.health import CATALOGS_SQL, NODES_SQL

    fake.add(NODES_SQL, NODE_COLUMNS, nodes)
    fake.add(
        CATALOGS_SQL,
        [("catalog_name", "varchar"), ("connector_name", "varchar")],
        [[c, "x"] for c in catalogs],
    )


def _signature(kind: str) -> dict[str, Any]:
    # Trino reports unbounded varchar as varchar(2147483647) in the signature's arguments.
    arguments = [{"kind": "LONG", "value": 2147483647}] if kind == "varchar" else []
    return {"rawType": kind, "arguments": arguments}


def _normal(sql: str) -> str:
    return " ".join(sql.strip().rstrip(";").split()).lower()


def _stats(state: str) -> dict[str, Any]:
    return {
        "state": state,
        "queued": state == "QUEUED",
        "scheduled": state != "QUEUED",
        "nodes": 1,
        "totalSplits": 1,
        "queuedSplits": 0,
        "runningSplits": 0,
        "completedSplits": 1,
        "cpuTimeMillis": 1,
        "wallTimeMillis": 1,
        "queuedTimeMillis": 0,
        "elapsedTimeMillis": 1,
        "processedRows": 0,
        "processedBytes": 0,
        "peakMemoryBytes": 0,
    }


def _handler(fake: FakeTrino) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: dict[str, Any] | None = None) -> None:
            payload = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _record(self, body: str | None) -> bool:
            fake.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "at": dt.datetime.now(dt.UTC).isoformat(),
                }
            )
            if not fake.authorized(self.headers.get("Authorization")):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="Trino"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False
            return True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            sql = self.rfile.read(length).decode()
            if not self._record(sql):
                return
            if self.path != "/v1/statement":
                self._send(404, {"message": "not found"})
                return
            query_id, _ = fake.submit(sql)
            self._send(200, fake.page(query_id, 0))

        def do_GET(self) -> None:
            if not self._record(None):
                return
            parts = self.path.strip("/").split("/")
            if (
                len(parts) == 5
                and parts[:3] == ["v1", "statement", "executing"]
                and parts[3] in fake._queries
            ):
                self._send(200, fake.page(parts[3], int(parts[4])))
                return
            if self.path == "/v1/info":
                self._send(
                    200,
                    {"nodeVersion": {"version": DEFAULT_TRINO_TAG}, "coordinator": True, "starting": False},
                )
                return
            self._send(404, {"message": "not found"})

        def do_DELETE(self) -> None:
            if self._record(None):
                self._send(204)

    return Handler


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (written to ``directory``): (cert file, key file)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fake-trino.pem", directory / "fake-trino.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path
