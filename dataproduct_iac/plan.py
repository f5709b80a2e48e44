"""Offline preview: run a Pulumi program in-process on the SDK's mock monitor and record every
registration (type, name, parent, dependencies, options, inputs) — no CLI, no credentials, no backend.

Inputs are recorded as the engine would see them (camelCase); every secret becomes ``"[secret]"``
and every value not known before deployment becomes ``"[unknown]"``. The text ``dataproduct plan``
prints is :mod:`.plan_text`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .cyclic_gc import gc_paused

SECRET = "[secret]"
UNKNOWN = "[unknown]"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
STACK_TYPE = "pulumi:pulumi:Stack"

# The few outputs a first preview can know from the inputs alone: an S3 bucket's id and ARN are its name.
_KNOWN_OUTPUTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:s3/bucket:Bucket": lambda inputs: (
        {"id": inputs["bucket"], "arn": f"arn:aws:s3:::{inputs['bucket']}"}
        if isinstance(inputs.get("bucket"), str)
        else {}
    ),
}


@dataclass
class Registration:
    """One RegisterResource request, as recorded."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    depends_on: list[str]
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    provider: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "depends_on": self.depends_on,
            "inputs": self.inputs,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
        }


class PlanMocks(pulumi_mocks.Mocks):
    """Resources echo their inputs; in a preview, ids and computed outputs stay unknown."""

    def __init__(self, preview: bool) -> None:
        self.preview = preview

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        state = dict(args.inputs)
        known = _KNOWN_OUTPUTS.get(args.typ, lambda _: {})(args.inputs)
        state.update({k: v for k, v in known.items() if k != "id"})
        if "id" in known:
            return known["id"], state
        if self.preview:
            return "", state
        physical = [args.inputs[k] for k in ("name", "bucket") if isinstance(args.inputs.get(k), str)]
        return (physical[0] if physical else f"{args.name}-id"), state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


def engine_urn(stack: str, project: str, parent: str | None, type_: str, name: str) -> str:
    """The URN the Pulumi engine gives a resource: ``urn:pulumi:<stack>::<project>::<type chain>::<name>``.

    The qualified type is the parent's whole qualified type, ``$``, the resource's own type; the root
    stack is no part of it (a top-level resource's qualified type is its type). The SDK's mock monitor
    keeps only the parent's last type, which hides a change of any ancestor but the closest.
    """
    qualified = type_
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != STACK_TYPE:
            qualified = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, recording every RegisterResource request, with the engine's URNs."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            inputs: dict[str, Any] = {}
        else:
            inputs = render(rpc.deserialize_properties(request.object, keep_unknowns=True))
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                depends_on=sorted(set(request.dependencies)),
                inputs=inputs,
                protect=_flag(request, "protect"),
                retain_on_delete=_flag(request, "retainOnDelete"),
                provider=request.provider or None,
            )
        )
        return response


def _flag(request: Any, name: str) -> bool:
    """An optional boolean of the request (unset means false)."""
    return bool(getattr(request, name)) if request.HasField(name) else False


def render(value: Any) -> Any:
    """A recorded input value as plain JSON: secrets and unknowns replaced, whole floats as ints."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return SECRET
        return {str(k): render(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [render(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if type(value).__name__ == "Unknown":
        return UNKNOWN
    if isinstance(value, pulumi.Resource):
        return UNKNOWN
    return str(value)


@dataclass
class Plan:
    project: str
    stack: str
    preview: bool
    registrations: list[Registration]
    warnings: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def resources(self) -> list[Registration]:
        """Registrations in a deterministic order: depth-first from the stack, siblings by type and name."""
        children: dict[str | None, list[Registration]] = {}
        for reg in self.registrations:
            children.setdefault(reg.parent, []).append(reg)
        ordered: list[Registration] = []
        seen: set[str] = set()

        def visit(parent: str | None) -> None:
            for reg in sorted(children.get(parent, []), key=lambda r: (r.type, r.name, r.urn)):
                ordered.append(reg)
                if reg.urn not in seen:
                    seen.add(reg.urn)
                    visit(reg.urn)

        visit(None)
        known = {r.urn for r in ordered}
        ordered.extend(sorted((r for r in self.registrations if r.urn not in known), key=lambda r: r.urn))
        return ordered

    def duplicate_urns(self) -> list[str]:
        urns = [r.urn for r in self.registrations]
        return sorted({u for u in urns if urns.count(u) > 1})

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.as_dict() for r in self.resources],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=False) + "\n"


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_program(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    preview: bool = True,
    config: dict[str, str] | None = None,
    mocks: pulumi_mocks.Mocks | None = None,
) -> Plan:
    """Run ``program`` on a fresh mock monitor and return what it registered.

    ``config`` (full keys such as ``dataproduct:manifests``, string values as the engine passes
    them) replaces the runtime's configuration for the run. Exceptions from the program propagate.
    """
    monitor = RecordingMonitor(mocks or PlanMocks(preview))
    # A logger of this run only, outside logging's registry (getLogger would keep one per run forever).
    logger = logging.Logger("dataproduct_iac.plan", logging.WARNING)
    collector = _Collector()
    logger.addHandler(collector)
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import settings as runtime_settings

    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=preview, logger=logger, monitor=monitor
    )
    if config is not None:
        runtime_config.set_all_config(dict(config), [])
    try:
        with gc_paused():  # the SDK's objects per resource live to the end: see cyclic_gc
            _sync_await(run_pulumi_func(program))
        root = runtime_settings.get_root_resource()
        outputs = resolve_outputs(dict(getattr(root, "outputs", {}) or {}))
    finally:
        logger.removeHandler(collector)
    return Plan(project, stack, preview, monitor.registrations, collector.messages, outputs)


def resolve_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """Stack exports as the engine would record them: plain JSON, secrets and unknowns marked."""
    struct = _sync_await(rpc.serialize_properties(outputs, {}))
    return {str(k): render(v) for k, v in rpc.deserialize_properties(struct, keep_unknowns=True).items()}
