from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dataproduct_iac.loader import read_values_file
from dataproduct_iac.placeholders import ValueSources

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def traffic_example() -> tuple[Path, ValueSources]:
    base = EXAMPLES / "traffic-source-analysis"
    return base / "manifests", ValueSources(files=[read_values_file(base / "values.yaml")], environment={})


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[str]:
    """One ``moto_server`` on 127.0.0.1 for the session, stopped at its end."""
    from moto_server import MotoServer

    server = MotoServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(_moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server's URL, with AWS_ENDPOINT_URL, a region and dummy credentials set for this test.

    The server is shared by the session: use unique bucket/database names per test.
    """
    monkeypatch.setenv("AWS_ENDPOINT_URL", _moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    return _moto_server
