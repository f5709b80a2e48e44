"""``dataproduct`` and other Python run in a subprocess, on the tree under test.

The console script beside this interpreter is how users run ``dataproduct``; what it imports is
decided by ``sys.path``, so every child gets this checkout first on ``PYTHONPATH``: a test never runs
whatever copy of the package happens to be installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATAPRODUCT = str(Path(sys.executable).parent / "dataproduct")

# Passed on even to a child given a whole environment: where byte code goes (make test keeps it out of
# the checkout), and nothing else.
_KEPT = ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")


def tree_env(env: Mapping[str, str] | None = None, *, inherit_env: bool = True) -> dict[str, str]:
    """The environment for a child Python: ``env`` added to this process's environment (or, with
    ``inherit_env=False``, ``env`` alone), with this checkout ahead of everything on ``PYTHONPATH``."""
    environment = {**os.environ, **(env or {})} if inherit_env else dict(env or {})
    if not inherit_env:
        environment.update({k: os.environ[k] for k in _KEPT if k in os.environ and k not in environment})
    rest = environment.get("PYTHONPATH")
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), *([rest] if rest else [])])
    return environment


def run_python(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    inherit_env: bool = True,
    timeout: float = 600,
    executable: str = sys.executable,
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` (this interpreter) on the tree under test, output captured as text, no stdin."""
    return _run([executable, *args], cwd=cwd, env=env, inherit_env=inherit_env, timeout=timeout)


def run_dataproduct(
    *args: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    inherit_env: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``dataproduct ARGS`` (the console script) on the tree under test, output captured as text
    (undecodable bytes replaced) and no stdin.

    ``env`` is added to this process's environment, or is the whole environment with
    ``inherit_env=False``.
    """
    return _run([DATAPRODUCT, *args], cwd=cwd, env=env, inherit_env=inherit_env, timeout=timeout)


def _run(
    command: list[str],
    *,
    cwd: Path | str | None,
    env: Mapping[str, str] | None,
    inherit_env: bool,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=tree_env(env, inherit_env=inherit_env),
        capture_output=True,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
