"""Run ``pulumi preview`` and ``pulumi refresh --preview-only`` through the Automation API.

The Automation API drives the ``pulumi`` CLI; per-resource diffs arrive only through
``on_event``, so both functions return the engine events they saw (group them with
:func:`dataproduct_iac.engine.changes.group_events`). ``Stack.preview_refresh()`` is used for
drift: the summary of ``refresh(preview_only=True)`` is read from the stack's last history
entry, not from this run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataproductError
from ..stack_config import find_project_root

INSTALL_HINT = (
    "the Pulumi CLI ('pulumi') is not on PATH: install it "
    "(https://www.pulumi.com/docs/iac/download-install/, e.g. 'curl -fsSL https://get.pulumi.com | sh') "
    "to preview or check drift against a stack's state; "
    "without it, run the offline 'dataproduct plan', or 'dataproduct drift --live' to compare the "
    "manifests with the cloud directly"
)


class PulumiMissing(DataproductError):
    """The ``pulumi`` CLI is not installed."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


class EngineError(DataproductError):
    """The engine ran and failed (bad stack, backend, credentials, program error)."""


def pulumi_cli() -> str:
    """The path of the ``pulumi`` CLI, or :class:`PulumiMissing`."""
    path = shutil.which("pulumi")
    if path is None:
        raise PulumiMissing()
    return path


def find_project_dir(start: str | os.PathLike[str] = ".") -> Path:
    """The nearest directory at or above ``start`` holding a ``Pulumi.yaml``."""
    here = Path(start).resolve()
    found = find_project_root(here)
    if found is not None:
        return found
    raise EngineError(f"no Pulumi.yaml in {here} or any parent directory; pass --cwd PROJECT_DIR")


@dataclass
class EngineRun:
    events: list[Any] = field(default_factory=list)
    change_summary: dict[str, int] = field(default_factory=dict)


def run_engine(
    stack: str,
    *,
    refresh: bool,
    work_dir: str | os.PathLike[str] = ".",
    env: Mapping[str, str] | None = None,
    create: bool = False,
) -> EngineRun:
    """Preview (``refresh=False``) or preview a refresh (``refresh=True``) of ``stack``.

    ``create`` creates the stack when it does not exist (previews of a new environment);
    drift checks only select existing stacks.
    """
    pulumi_cli()
    from pulumi import automation as auto

    project_dir = find_project_dir(work_dir)
    options = auto.LocalWorkspaceOptions(env_vars=dict(env) if env else None)
    lock = threading.Lock()
    run = EngineRun()

    def on_event(event: Any) -> None:
        with lock:
            run.events.append(event)

    try:
        if create:
            selected = auto.create_or_select_stack(stack, work_dir=str(project_dir), opts=options)
        else:
            selected = auto.select_stack(stack, work_dir=str(project_dir), opts=options)
        if refresh:
            result = selected.preview_refresh(on_event=on_event, color="never", suppress_progress=True)
        else:
            result = selected.preview(on_event=on_event, color="never", suppress_progress=True)
    except auto.StackNotFoundError as exc:
        raise EngineError(f"stack {stack!r} does not exist in the current backend (pulumi login?)") from exc
    except auto.CommandError as exc:
        raise EngineError(_command_error(exc)) from exc
    except FileNotFoundError as exc:  # the CLI vanished between the check and the call
        raise PulumiMissing() from exc
    run.change_summary = {_key(k): int(v) for k, v in (result.change_summary or {}).items()}
    return run


def _key(op: Any) -> str:
    return str(getattr(op, "value", op))


def _command_error(exc: Exception) -> str:
    """The last meaningful stderr lines of a failed CLI call (the engine masks secret values)."""
    stderr = getattr(exc, "stderr", None) or str(exc)
    lines = [line.strip() for line in str(stderr).splitlines() if line.strip()]
    return "pulumi failed: " + (" | ".join(lines[-3:]) if lines else type(exc).__name__)
