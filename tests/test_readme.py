"""Docs as tests: the shell blocks of README.md marked ``<!-- test -->`` run as written.

``<!-- test -->`` before a ```sh block: every command must succeed. ``<!-- test: exit N -->``:
the block must exit with N; when the next block follows a line "prints", the output must be
exactly that block. Commands run from the repository root with the venv's ``bin`` first on PATH,
so ``dataproduct`` is the installed console script.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.cli import tree_env

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_MARKER = re.compile(r"^<!-- test(?::\s*exit\s+(?P<code>\d+))?\s*-->$")
_FENCE = re.compile(r"^```(?P<lang>\w*)\s*$")


@dataclass(frozen=True)
class Block:
    line: int
    script: str
    exit_code: int
    output: str | None


def _fenced(lines: list[str], start: int) -> tuple[str, str, int] | None:
    """The fenced block opening at ``start`` (language, text, index after the closing fence)."""
    match = _FENCE.match(lines[start]) if start < len(lines) else None
    if not match:
        return None
    end = start + 1
    while end < len(lines) and lines[end].strip() != "```":
        end += 1
    return match["lang"], "\n".join(lines[start + 1 : end]) + "\n", end + 1


def blocks() -> list[Block]:
    lines = README.read_text(encoding="utf-8").splitlines()
    out = []
    for index, line in enumerate(lines):
        marker = _MARKER.match(line.strip())
        if not marker:
            continue
        fenced = _fenced(lines, index + 1)
        assert fenced and fenced[0] in ("sh", "bash"), (
            f"README.md:{index + 1}: a test marker needs a sh block"
        )
        _, script, after = fenced
        output = None
        rest = [n for n in range(after, min(after + 4, len(lines))) if lines[n].strip()]
        if rest and lines[rest[0]].strip() == "prints":
            printed = (
                _fenced(lines, rest[0] + 2) if not lines[rest[0] + 1].strip() else _fenced(lines, rest[0] + 1)
            )
            assert printed is not None, f"README.md:{rest[0] + 1}: 'prints' must be followed by a block"
            output = printed[1]
        out.append(Block(index + 2, script, int(marker["code"] or 0), output))
    return out


BLOCKS = blocks()


def test_readme_has_tested_blocks() -> None:
    assert len(BLOCKS) >= 4
    commands = " ".join(b.script for b in BLOCKS)
    for command in ("dataproduct validate", "dataproduct graph", "dataproduct schema"):
        assert command in commands


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{b.line}" for b in BLOCKS])
def test_readme_block(block: Block, tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    env = tree_env({"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "TMPDIR": str(tmp_path)})
    prelude = "set -eo pipefail\n" if block.exit_code == 0 else ""
    result = subprocess.run(
        ["bash", "-c", prelude + block.script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    shown = f"README.md:{block.line}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == block.exit_code, shown
    assert "Traceback" not in result.stderr, shown
    if block.output is not None:
        assert result.stdout + result.stderr == block.output, shown
