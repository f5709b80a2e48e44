"""Components on Pulumi's mock monitor, through the same ``run_program`` that ``dataproduct plan`` uses.

``run_component`` adds what component tests need on top of the plan's registrations: the raw inputs
as the engine receives them (secret values still visible, wrapped in the secret signature), the raw
RegisterResource requests (for options the plan does not record, such as ``ignoreChanges``) and
the component's own outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from dataproduct_iac.plan import Plan, PlanMocks, Registration, run_program

SIG_KEY = rpc._special_sig_key
"""The key under which the engine marks special values (secrets, resources, assets)."""
SECRET_SIG = rpc._special_secret_sig
"""``{SIG_KEY: SECRET_SIG, "value": ...}`` is a secret value."""


class RawMocks(PlanMocks):
    """The plan's mocks, also keeping each resource's arguments with the raw inputs."""

    def __init__(self, preview: bool) -> None:
        super().__init__(preview)
        self.resources: list[pulumi_mocks.MockResourceArgs] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.resources.append(args)
        return super().new_resource(args)

    @property
    def raw(self) -> dict[str, dict[str, Any]]:
        """Raw inputs by logical name."""
        return {r.name: r.inputs for r in self.resources}


@dataclass
class ComponentRun:
    plan: Plan
    resources: list[pulumi_mocks.MockResourceArgs]
    """Every resource's mock arguments (type ``typ``, ``name``, ``custom``, raw ``inputs``), in order."""
    requests: list[Any]
    """Every RegisterResource request of the program, in order."""
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def registrations(self) -> list[Registration]:
        return self.plan.registrations


def run_component(
    make: Callable[[], Any],
    *,
    preview: bool,
    outputs: Sequence[str] = (),
    project: str = "dataproduct",
    stack: str = "dev",
) -> ComponentRun:
    """Build the component ``make()`` returns and wait for its ``outputs`` (attribute names)."""
    mocks = RawMocks(preview)
    requests: list[Any] = []
    values: dict[str, Any] = {}

    def program() -> None:
        monitor = pulumi.runtime.settings.get_monitor()
        register = monitor.RegisterResource

        def keep(request: Any) -> Any:
            response = register(request)
            requests.append(request)
            return response

        monitor.RegisterResource = keep
        component = make()
        keys = list(outputs)
        if keys:
            pulumi.Output.all(*[getattr(component, k) for k in keys]).apply(
                lambda got: values.update(zip(keys, got, strict=True))
            )

    plan = run_program(program, project=project, stack=stack, preview=preview, mocks=mocks)
    missing = [k for k in outputs if k not in values]
    assert not missing, f"outputs not known after the run: {missing}"
    return ComponentRun(plan, mocks.resources, requests, values)


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def plain(value: Any) -> Any:
    """Raw mock inputs → plain JSON (Kubernetes' shape): unwrap secrets, whole floats back into ints."""
    if isinstance(value, dict):
        if is_secret(value) and "value" in value:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def k8s_object(resource: pulumi_mocks.MockResourceArgs) -> dict[str, Any]:
    """A Kubernetes resource's raw inputs as the object the API server would get (with apiVersion, kind)."""
    group_version, kind = resource.typ.removeprefix("kubernetes:").split(":")
    group, version = group_version.split("/")
    api_version = version if group == "core" else f"{group}/{version}"
    return {"apiVersion": api_version, "kind": kind, **plain(resource.inputs)}
