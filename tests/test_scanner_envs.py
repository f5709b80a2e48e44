"""The scanner's own variables in a scanner job's ``envs`` (timeouts, attempts, retry budget, ...) are
read at ``dataproduct validate`` by the parser the scanner container reads them with when it starts
(``scanner.env``), so a value the scanner would refuse fails validation at its file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers.cli import run_dataproduct
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproduct_iac.aws_clients import ClientSettingError
from dataproduct_iac.scanner import ScanSettings, settings_from_env
from dataproduct_iac.scanner.env import EnvError, env_problems

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "traffic-source-analysis"
CLIENT_VARIABLES = [
    "DATAPRODUCT_SCAN_CONNECT_TIMEOUT",
    "DATAPRODUCT_SCAN_READ_TIMEOUT",
    "DATAPRODUCT_SCAN_MAX_ATTEMPTS",
    "DATAPRODUCT_SCAN_RETRY_BUDGET",
    "DATAPRODUCT_SCAN_RETRY_MODE",
]


def the_container_accepts(env: dict[str, str]) -> bool:
    """What the scanner container does with its environment when it starts."""
    try:
        ScanSettings(bucket="b", **settings_from_env(env))
    except (EnvError, ClientSettingError):
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CLIENT_VARIABLES),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-5, 100).map(str),
        st.sampled_from(["30s", "", " 7 ", "1e3", "nan", "inf", "0", "standard", "adaptive", "0x10", "5.0"]),
        st.text(max_size=6),
    ),
)
def test_validate_refuses_exactly_what_the_scanner_container_refuses(name: str, text: str) -> None:
    env = {name: text}
    assert (env_problems(env) == {}) == the_container_accepts(env)


def test_problems_name_the_variable_and_the_rule() -> None:
    problems = env_problems(
        {
            "DATAPRODUCT_SCAN_READ_TIMEOUT": "30s",
            "DATAPRODUCT_SCAN_CONNECT_TIMEOUT": "-1",
            "DATAPRODUCT_SCAN_MAX_ATTEMPTS": "0",
            "DATAPRODUCT_SCAN_RETRY_BUDGET": "90",
            "AWS_REGION": "not the scanner's",
        }
    )
    assert problems == {
        "DATAPRODUCT_SCAN_READ_TIMEOUT": "DATAPRODUCT_SCAN_READ_TIMEOUT must be a number of seconds",
        "DATAPRODUCT_SCAN_CONNECT_TIMEOUT": "DATAPRODUCT_SCAN_CONNECT_TIMEOUT must be a positive number of "
        "seconds (got -1.0)",
        "DATAPRODUCT_SCAN_MAX_ATTEMPTS": "DATAPRODUCT_SCAN_MAX_ATTEMPTS must be at least 1",
    }


ENVS = """\
        envs:
          DATAPRODUCT_SCAN_READ_TIMEOUT: 30s
          DATAPRODUCT_SCAN_RETRY_BUDGET: "120"
          DATAPRODUCT_SCAN_CONNECT_TIMEOUT: 0
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    copy = tmp_path / "manifests"
    shutil.copytree(EXAMPLE / "manifests", copy)
    return copy


def _with_envs(manifests: Path, envs: str) -> tuple[Path, int]:
    scanner = manifests / "scanner.yaml"
    lines = scanner.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == "stack: scanner:2.0") + 1
    lines[at:at] = [envs]
    scanner.write_text("".join(lines), encoding="utf-8")
    return scanner, at + 1  # the 1-based line of "envs:"


def test_validate_names_file_line_and_field_of_a_timeout_the_scanner_would_refuse(manifests: Path) -> None:
    scanner, envs_line = _with_envs(manifests, ENVS)
    done = run_dataproduct("validate", str(manifests), "--values", str(EXAMPLE / "values.yaml"))
    assert done.returncode == 1, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    field = "workflow.dag[0].spec.envs"
    assert (
        f"{scanner}:{envs_line + 1}: {field}.DATAPRODUCT_SCAN_READ_TIMEOUT: DATAPRODUCT_SCAN_READ_TIMEOUT "
        "must be a number of seconds (the scanner would refuse it)" in output
    )
    assert f"{scanner}:{envs_line + 3}: {field}.DATAPRODUCT_SCAN_CONNECT_TIMEOUT: " in output
    assert "RETRY_BUDGET" not in output
    assert "2 errors in the manifests" in output


def test_timeouts_the_scanner_accepts_validate(manifests: Path) -> None:
    _with_envs(manifests, ENVS.replace("30s", "45").replace("CONNECT_TIMEOUT: 0", "CONNECT_TIMEOUT: 2.5"))
    done = run_dataproduct("validate", str(manifests), "--values", str(EXAMPLE / "values.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
