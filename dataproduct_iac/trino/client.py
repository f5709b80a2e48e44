"""The live Trino client: connection settings, running a statement, formatting results.

``trino`` is imported inside the functions that need it, so importing this module is cheap.
Credentials (password, JWT) are never part of an error message or a ``repr``.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import DataproductError

DEFAULT_SOURCE = "dataproduct-iac"


class ClientError(DataproductError):
    """The statement could not be run (connection, authentication or query failure)."""


@dataclass(frozen=True)
class TrinoConnection:
    """Where and as whom to connect. ``password``/``jwt`` require an https server."""

    server: str
    user: str
    password: str | None = field(default=None, repr=False)
    jwt: str | None = field(default=None, repr=False)
    catalog: str | None = None
    schema: str | None = None
    source: str = DEFAULT_SOURCE
    verify: bool | str = True
    """TLS verification: True, False, or the path of a CA bundle."""
    timeout: float = 60.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.server)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ClientError(f"server {self.server!r} must be a URL like https://trino.example.com:443")
        if self.password is not None and self.jwt is not None:
            raise ClientError("give either a password or a JWT, not both")
        if (self.password is not None or self.jwt is not None) and parts.scheme != "https":
            raise ClientError(
                "password and JWT authentication need an https:// server "
                "(Trino refuses credentials over http)"
            )

    @property
    def host(self) -> str:
        host = urlsplit(self.server).hostname
        assert host is not None
        return host

    @property
    def port(self) -> int:
        parts = urlsplit(self.server)
        return parts.port or (443 if parts.scheme == "https" else 8080)

    @property
    def scheme(self) -> str:
        return urlsplit(self.server).scheme


@dataclass
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


def _http_session(verify: bool | str) -> Any:
    """A requests session whose ``verify`` wins over ``REQUESTS_CA_BUNDLE`` (requests lets the
    environment override a session's CA bundle unless each request passes one)."""
    import requests

    class Session(requests.Session):
        def merge_environment_settings(
            self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
        ) -> Any:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if verify is None and self.verify is not True:
                settings["verify"] = self.verify
            return settings

    session = Session()
    session.verify = verify
    return session


def connect(connection: TrinoConnection) -> Any:
    """A DB-API connection (``trino.dbapi.Connection``)."""
    from trino import auth, dbapi

    authentication: Any = None
    if connection.password is not None:
        authentication = auth.BasicAuthentication(connection.user, connection.password)
    elif connection.jwt is not None:
        authentication = auth.JWTAuthentication(connection.jwt)
    return dbapi.connect(
        host=connection.host,
        port=connection.port,
        user=connection.user,
        source=connection.source,
        catalog=connection.catalog,
        schema=connection.schema,
        http_scheme=connection.scheme,
        auth=authentication,
        http_session=_http_session(connection.verify),
        request_timeout=connection.timeout,
        max_attempts=1,
    )


def execute(connection: TrinoConnection | Any, sql: str) -> QueryResult:
    """Run one statement and fetch all rows. ``connection`` is settings or a DB-API connection."""
    from trino import exceptions

    db = connect(connection) if isinstance(connection, TrinoConnection) else connection
    try:
        cursor = db.cursor()
        cursor.execute(sql)
        rows = [tuple(row) for row in cursor.fetchall()]
        description = cursor.description or []
    except exceptions.TrinoConnectionError as exc:
        raise ClientError(f"cannot reach Trino at {_server(connection)}: {_reason(exc)}") from None
    except exceptions.TrinoQueryError as exc:
        raise ClientError(f"query failed: {exc.error_name}: {exc.message}") from None
    except exceptions.HttpError as exc:
        text = str(exc)
        if "401" in text:
            raise ClientError("authentication failed (HTTP 401): check the user, password or JWT") from None
        raise ClientError(f"HTTP error from Trino: {text[:200]}") from None
    except exceptions.TrinoExternalError as exc:
        raise ClientError(f"Trino error: {exc.message}") from None
    except OSError as exc:  # requests' ConnectionError and SSL errors derive from OSError
        raise ClientError(f"cannot reach Trino at {_server(connection)}: {_reason(exc)}") from None
    finally:
        if isinstance(connection, TrinoConnection):
            db.close()
    return QueryResult([d[0] for d in description], [str(d[1]) for d in description], rows)


def _server(connection: Any) -> str:
    return connection.server if isinstance(connection, TrinoConnection) else "the server"


def _reason(exc: BaseException) -> str:
    """A short cause: certificate problems and refused connections named plainly."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "the server's TLS certificate is not trusted (use --ca-cert FILE)"
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text if len(text) <= 300 else text[:300] + "..."


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_cell(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _cell(v) for k, v in value.items()}
    return str(value)


def _text(value: Any) -> str:
    if value is None:
        return "NULL"
    cell = _cell(value)
    if isinstance(cell, list | dict):
        return json.dumps(cell)
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)


def format_table(result: QueryResult) -> str:
    header = result.columns
    body = [[_text(v) for v in row] for row in result.rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(header)]
    numeric = {"tinyint", "smallint", "integer", "bigint", "real", "double"}
    right = [t.split("(")[0] in numeric or t.startswith("decimal") for t in result.types]

    def line(cells: list[str]) -> str:
        return " | ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    out = [line(header), "-+-".join("-" * w for w in widths)]
    out.extend(line(row) for row in body)
    count = len(result.rows)
    out.append(f"({count} row{'s' if count != 1 else ''})")
    return "\n".join(out) + "\n"


def format_csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if v is None else _text(v) for v in row])
    return buffer.getvalue()


def format_json(result: QueryResult) -> str:
    records = [
        {name: _cell(value) for name, value in zip(result.columns, row, strict=True)} for row in result.rows
    ]
    return json.dumps(records, indent=2) + "\n"


FORMATTERS = {"table": format_table, "csv": format_csv, "json": format_json}
