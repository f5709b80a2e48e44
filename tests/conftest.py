from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.aws import MotoServer, fake_aws_env
from hypothesis.configuration import set_hypothesis_home_dir

from dataproduct_iac.placeholders import ValueSources, read_values_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Hypothesis keeps its examples and caches in the environment running the tests, not in the checkout
# (its default is ./.hypothesis): a test run leaves the tree as it found it.
set_hypothesis_home_dir(Path(sys.prefix) / "var" / "hypothesis")


@pytest.fixture
def traffic_example() -> tuple[Path, ValueSources]:
    base = EXAMPLES / "traffic-source-analysis"
    return base / "manifests", ValueSources(files=[read_values_file(base / "values.yaml")], environment={})


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[MotoServer]:
    """One ``moto_server`` on 127.0.0.1 for the session, stopped at its end."""
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(_moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server's URL, with AWS_ENDPOINT_URL, a region and dummy credentials set for this test.

    The server is shared by the session: use unique bucket/database names per test.
    """
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in fake_aws_env(_moto_server.url).items():
        monkeypatch.setenv(name, value)
    return _moto_server.url


@pytest.fixture
def empty_moto_endpoint(_moto_server: MotoServer, moto_endpoint: str) -> str:
    """:func:`moto_endpoint` with everything earlier tests created forgotten: for tests that count what
    they find or create fixed names."""
    _moto_server.reset()
    return moto_endpoint


@pytest.fixture(scope="session")
def trino_server_home() -> Path:
    """The pinned Trino server, fetched once per machine; skipped (with the reason) where this machine
    cannot run it, unless DATAPRODUCT_TRINO_REQUIRED=1 (.ci/run), where that is a failure."""
    from trino_dist import TrinoUnavailable, java_home, server_home

    try:
        java_home()
        return server_home()
    except TrinoUnavailable as exc:
        if os.environ.get("DATAPRODUCT_TRINO_REQUIRED") == "1":
            pytest.fail(f"a real Trino is required here (DATAPRODUCT_TRINO_REQUIRED=1): {exc}")
        pytest.skip(f"no real Trino on this machine: {exc}")
