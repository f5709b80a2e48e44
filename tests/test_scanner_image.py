"""``dataproduct scan`` in the scanner image's environment: only the packages the Dockerfile installs.

There is no Docker engine here, so the image's environment is rebuilt from this one: a fresh virtual
environment that sees the tree under test and the distributions the Dockerfile's ``pip install``
names, with their dependencies, and nothing else (no pulumi, no trino client).
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import uuid
from importlib import metadata
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from packaging.requirements import Requirement
from test_scanner_cli import manifests

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.integration


def dockerfile_requirements() -> list[str]:
    """The requirements of the Dockerfile's ``pip install`` of the scanner's run-time packages."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: list[str] = []
    for command in re.findall(r"pip install ([^&\n]+)", text):
        words = shlex.split(command)
        if "--no-deps" not in words:  # that one installs the project itself
            found += [w for w in words if not w.startswith("-")]
    return found


def _closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions ``requirements`` need, dependencies included (markers evaluated)."""
    seen: dict[str, metadata.Distribution] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        key = requirement.name.lower().replace("_", "-")
        if key in seen:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        distribution = metadata.distribution(requirement.name)
        seen[key] = distribution
        todo += [Requirement(r) for r in distribution.requires or []]
    return list(seen.values())


@pytest.fixture(scope="module")
def image_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding what the scanner image holds; its ``python``."""
    base = tmp_path_factory.mktemp("scanner-image")
    packages = base / "packages"
    packages.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for distribution in _closure(dockerfile_requirements()):
        tops = {Path(str(f)).parts[0] for f in distribution.files or []}
        for top in sorted(tops - {"..", "__pycache__"}):
            if (site / top).exists() and not (packages / top).exists():
                (packages / top).symlink_to(site / top)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    # the project as `pip install --no-deps .` puts it there: here, the tree under test
    (Path(purelib) / "image.pth").write_text(f"{ROOT}\n{packages}\n", encoding="utf-8")
    return python


def _run(python: Path, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _image_env(moto_endpoint: str) -> dict[str, str]:
    from helpers.aws import fake_aws_env

    env = {**fake_aws_env(moto_endpoint), "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    # where byte code goes (make test keeps it out of the checkout the image environment imports)
    env.update(
        {k: v for k, v in os.environ.items() if k in ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")}
    )
    return env


def test_the_image_environment_has_no_pulumi(image_python: Path, tmp_path: Path) -> None:
    """The environment is what it claims: the scanner's packages import, pulumi and trino do not."""
    code = (
        "import importlib.util as u, json\n"
        "print(json.dumps({m: u.find_spec(m) is not None for m in "
        "('boto3', 'pyarrow', 'pydantic', 'yaml', 'dataproduct_iac', 'pulumi', 'pulumi_aws', 'trino')}))"
    )
    done = _run(
        image_python, "-c", code, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "boto3": True,
        "pyarrow": True,
        "pydantic": True,
        "yaml": True,
        "dataproduct_iac": True,
        "pulumi": False,
        "pulumi_aws": False,
        "trino": False,
    }


def test_scan_with_manifests_runs_without_pulumi(
    image_python: Path, tmp_path: Path, moto_endpoint: str
) -> None:
    bucket = f"image-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    table = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2], "name": ["a", "b"]}), table)
    s3.put_object(Bucket=bucket, Key="lake/sales/orders/a.parquet", Body=table.getvalue())
    depot = f"d{uuid.uuid4().hex[:6]}"
    work = tmp_path / "work"
    work.mkdir()
    done = _run(
        image_python,
        "-m",
        "dataproduct_iac.cli",
        "scan",
        str(manifests(tmp_path, depot, bucket)),
        "--depot",
        depot,
        "--format",
        "json",
        cwd=work,
        env=_image_env(moto_endpoint),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert [(d["collection"], d["dataset"], d["action"]) for d in report["datasets"]] == [
        ("sales", "orders", "created")
    ]


def test_scan_in_container_mode_runs_without_pulumi(
    image_python: Path, tmp_path: Path, moto_endpoint: str
) -> None:
    """How the ScannerJob runs it: settings from DATAPRODUCT_SCAN_* variables, no PATH."""
    bucket = f"image-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="raw/web/visits/a.csv", Body=b"id,source\n1,google\n")
    env = {
        **_image_env(moto_endpoint),
        "DATAPRODUCT_SCAN_BUCKET": bucket,
        "DATAPRODUCT_SCAN_PREFIX": "raw",
        "DATAPRODUCT_SCAN_DEPOT": "web",
        "DATAPRODUCT_SCAN_FORMAT": "CSV",
        "DATAPRODUCT_SCAN_OUTPUT": "json",
    }
    done = _run(image_python, "-m", "dataproduct_iac.cli", "scan", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [d["action"] for d in json.loads(done.stdout)["datasets"]] == ["created"]
