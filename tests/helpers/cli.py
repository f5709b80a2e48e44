"""``dataproduct`` run as users run it: the console script beside this interpreter, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

DATAPRODUCT = str(Path(sys.executable).parent / "dataproduct")


def run_dataproduct(
    *args: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    inherit_env: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``dataproduct ARGS`` with its output captured as text (undecodable bytes replaced) and no stdin.

    ``env`` is added to this process's environment, or is the whole environment with
    ``inherit_env=False``.
    """
    environment = {**os.environ, **(env or {})} if inherit_env else dict(env or {})
    return subprocess.run(
        [DATAPRODUCT, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
