"""The live client (query command, health) against a fake of Trino's HTTP protocol on 127.0.0.1.

No real Trino runs here: the fake serves canned results through the real ``trino`` client.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_trino import FakeTrino, answer_health_check, node_rows, self_signed_certificate

from dataproduct_iac.cli import main
from dataproduct_iac.settings import DEFAULT_TRINO_TAG
from dataproduct_iac.trino.client import ClientError, TrinoConnection, execute
from dataproduct_iac.trino.health import check_health

pytestmark = pytest.mark.integration


def seed_fake(fake: FakeTrino) -> FakeTrino:
    fake.add(
        "SELECT region, visits, ratio FROM traffic",
        [("region", "varchar"), ("visits", "bigint"), ("ratio", "double")],
        [["emea", 1200, 0.5], ["apac", 7, None], ["amer, north", 31, 0.25]],
    )
    fake.fail("SELECT * FROM missing", "line 1:15: Table 'icebase.default.missing' does not exist")
    return fake


@pytest.fixture
def fake() -> Iterator[FakeTrino]:
    server = seed_fake(FakeTrino()).start()
    yield server
    server.stop()


@pytest.fixture
def tls_fake(tmp_path: Path) -> Iterator[tuple[FakeTrino, Path]]:
    cert, key = self_signed_certificate(tmp_path)
    server = seed_fake(FakeTrino(basic=("alice", "s3cret-pw"), bearer="header.payload.sig"))
    server.start(certfile=cert, keyfile=key)
    yield server, cert
    server.stop()


def test_execute_pages_and_headers(fake: FakeTrino) -> None:
    result = execute(
        TrinoConnection(fake.url, "bob", catalog="icebase", schema="default"),
        "SELECT region, visits, ratio FROM traffic",
    )
    assert result.columns == ["region", "visits", "ratio"]
    assert result.rows == [("emea", 1200, 0.5), ("apac", 7, None), ("amer, north", 31, 0.25)]
    post = next(r for r in fake.requests if r["method"] == "POST")
    assert post["headers"]["x-trino-user"] == "bob"
    assert post["headers"]["x-trino-catalog"] == "icebase"
    assert post["headers"]["x-trino-source"] == "dataproduct-iac"
    assert sum(r["method"] == "GET" for r in fake.requests) == 2  # QUEUED page, then two data pages


def test_query_error(fake: FakeTrino) -> None:
    with pytest.raises(ClientError, match="does not exist"):
        execute(TrinoConnection(fake.url, "bob"), "SELECT * FROM missing")


def test_unreachable_server() -> None:
    with pytest.raises(ClientError, match="cannot reach Trino"):
        execute(TrinoConnection("http://127.0.0.1:9", "bob", timeout=2), "SELECT 1")


def test_credentials_need_https() -> None:
    with pytest.raises(ClientError, match="need an https"):
        TrinoConnection("http://127.0.0.1:8080", "alice", password="pw")
    connection = TrinoConnection("https://h", "alice", password="pw")
    assert "pw" not in repr(connection)


def test_cli_table_csv_json(fake: FakeTrino, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT region, visits, ratio FROM traffic"
    assert main(["query", "--cluster", "advancedminerva", "--server", fake.url, "--user", "bob", sql]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split("|")[0].strip() == "region"
    assert table[2].split("|")[1].strip() == "1200"
    assert "NULL" in table[3]
    assert table[-1] == "(3 rows)"

    assert main(["query", "--server", fake.url, "--user", "bob", "--format", "csv", sql]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [
        ["region", "visits", "ratio"],
        ["emea", "1200", "0.5"],
        ["apac", "7", ""],
        ["amer, north", "31", "0.25"],
    ]

    assert main(["query", "--server", fake.url, "--user", "bob", "--format", "json", sql]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[1] == {"region": "apac", "visits": 7, "ratio": None}


def test_cli_failures_exit_1(
    fake: FakeTrino, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["query", "--server", fake.url, "--user", "bob", "SELECT * FROM missing"]) == 1
    assert "does not exist" in capsys.readouterr().err
    monkeypatch.delenv("DATAPRODUCT_TRINO_SERVER", raising=False)
    assert main(["query", "SELECT 1"]) == 1
    assert "--cluster NAME" in capsys.readouterr().err
    assert main(["query", "--server", fake.url, "--password", "SELECT 1"]) == 1  # http + password
    assert "https" in capsys.readouterr().err


def test_cluster_without_server_needs_stack_outputs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATAPRODUCT_TRINO_SERVER", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["query", "--cluster", "advancedminerva", "--stack", "dev", "SELECT 1"]) == 1
    err = capsys.readouterr().err
    assert "--server" in err and "port-forward svc/advancedminerva" in err


def test_basic_auth_over_https(
    tls_fake: tuple[FakeTrino, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, cert = tls_fake
    sql = "SELECT region, visits, ratio FROM traffic"
    monkeypatch.setenv("DATAPRODUCT_TRINO_PASSWORD", "s3cret-pw")
    args = [
        "query",
        "--server",
        fake.url,
        "--user",
        "alice",
        "--password",
        "--ca-cert",
        str(cert),
        "--format",
        "csv",
        sql,
    ]
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("region,visits,ratio\n")
    monkeypatch.setenv("DATAPRODUCT_TRINO_PASSWORD", "wrong")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "authentication failed" in err and "wrong" not in err
    # Without the CA the certificate is refused.
    monkeypatch.setenv("DATAPRODUCT_TRINO_PASSWORD", "s3cret-pw")
    assert main(["query", "--server", fake.url, "--user", "alice", "--password", sql]) == 1
    assert "certificate is not trusted" in capsys.readouterr().err


def test_jwt_over_https(
    tls_fake: tuple[FakeTrino, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, cert = tls_fake
    monkeypatch.setenv("DATAPRODUCT_TRINO_JWT", "header.payload.sig")
    sql = "SELECT region, visits, ratio FROM traffic"
    assert main(["query", "--server", fake.url, "--user", "alice", "--jwt", "--ca-cert", str(cert), sql]) == 0
    auth = next(r for r in fake.requests if r["method"] == "POST")["headers"]["authorization"]
    assert auth == "Bearer header.payload.sig"
    assert "(3 rows)" in capsys.readouterr().out


# --- health -------------------------------------------------------------------------------------


def test_health_all_good(fake: FakeTrino) -> None:
    answer_health_check(fake, node_rows(5, version=DEFAULT_TRINO_TAG), ["system", "icebase", "cache"])
    report = check_health(
        TrinoConnection(fake.url, "health"),
        desired_workers=5,
        desired_catalogs={"icebase", "cache"},
        image_tag=DEFAULT_TRINO_TAG,
    )
    assert report.healthy
    assert {f.check: f.severity for f in report.findings} == {
        "coordinator": "ok",
        "workers": "ok",
        "version": "ok",
        "catalogs": "ok",
    }


def test_health_problems(fake: FakeTrino) -> None:
    older = str(int(DEFAULT_TRINO_TAG) - 1)
    answer_health_check(fake, node_rows(3, version=older, draining=1), ["system", "icebase", "scratch"])
    report = check_health(
        TrinoConnection(fake.url, "health"),
        desired_workers=5,
        desired_catalogs={"icebase", "cache"},
        image_tag=DEFAULT_TRINO_TAG,
    )
    assert not report.healthy
    by_check: dict[str, list[tuple[str, object, object]]] = {}
    for f in report.problems:
        by_check.setdefault(f.check, []).append((f.severity, f.expected, f.actual))
    assert by_check["workers"] == [("warning", 5, 3)]
    assert by_check["version"][0][0] == "warning" and by_check["version"][0][2] == [older]
    assert ("error", ["cache", "icebase"], ["icebase", "scratch", "system"]) in by_check["catalogs"]
    assert any(s == "warning" for s, _, _ in by_check["catalogs"])  # 'scratch' is unexpected
    assert "1 shutting down" in next(f.message for f in report.findings if f.check == "workers")
    json.dumps(report.as_dict())


def test_health_no_workers_is_an_error_and_unreachable_is_reported() -> None:
    server = FakeTrino().start()
    try:
        answer_health_check(server, node_rows(0), ["system"])
        report = check_health(
            TrinoConnection(server.url, "h"), desired_workers=2, desired_catalogs=set(), image_tag=None
        )
        assert [(f.check, f.severity) for f in report.problems] == [("workers", "error")]
    finally:
        server.stop()
    down = check_health(
        TrinoConnection("http://127.0.0.1:9", "h", timeout=2),
        desired_workers=1,
        desired_catalogs=set(),
        image_tag=None,
    )
    assert [(f.check, f.severity) for f in down.findings] == [("reachable", "error")]
