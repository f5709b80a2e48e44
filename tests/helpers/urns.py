"""What a Pulumi engine would do with a program's URNs: keep, alias, create or delete each resource.

The plan's monitor already gives every resource the URN the engine gives it (the whole parent type
chain, :func:`dataproduct_iac.plan.engine_urn`). This helper adds the engine's alias resolution, as
the engine's step generator does it (``collapseAliasToUrn``, ``inheritedChildAlias``,
``generateAliases`` in ``pkg/resource/deploy/step_generator.go``):

- an alias spec's unset name/type/stack/project default to the resource's own; an unset parent
  means the resource's current parent, ``noParent`` (or the root stack) means top level; a parent
  URN that was itself matched through an alias in this deployment is replaced by its old URN;
- when a resource's parent was matched through an alias, the resource also gets the parent's old
  type chain as an alias, with its name's parent prefix rewritten to the parent's old name (a child
  named ``<parent>-bucket`` follows a renamed parent), and the same for each of its own aliases;
- the resource's own URN is looked up first, then its aliases in order; the first one in the old
  state is the match. Two resources claiming one old URN is an error, as in the engine.

Old resources that nothing matched are deleted; a resource that matched nothing is created. For a
protected bucket that is a refused update; for an unprotected one, data loss.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from dataproduct_iac.plan import STACK_TYPE, run_program


@dataclass(frozen=True)
class AliasSpec:
    """One ``Alias`` as the SDK sends it to the engine (a URN, or a spec of the old name)."""

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent: str = ""
    no_parent: bool = False


@dataclass(frozen=True)
class Goal:
    """One RegisterResource request: the resource's engine URN, type, name, parent and aliases."""

    urn: str
    type: str
    name: str
    parent: str
    aliases: tuple[AliasSpec, ...] = ()


def _alias(proto: Any) -> AliasSpec:
    if proto.WhichOneof("alias") == "urn":
        return AliasSpec(urn=proto.urn)
    spec = proto.spec
    return AliasSpec(
        name=spec.name,
        type=spec.type,
        stack=spec.stack,
        project=spec.project,
        parent=spec.parentUrn,
        no_parent=spec.noParent,
    )


def record(
    program: Callable[[], Any],
    *,
    project: str = "dataproduct",
    stack: str = "dev",
    preview: bool = True,
    config: dict[str, str] | None = None,
) -> list[Goal]:
    """Run ``program`` on the plan's mock monitor; every registration but the stack's, in order."""
    goals: list[Goal] = []

    def recorded() -> Any:
        monitor = pulumi.runtime.settings.get_monitor()
        register = monitor.RegisterResource

        def keep(request: Any) -> Any:
            response = register(request)
            goals.append(
                Goal(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    aliases=tuple(_alias(a) for a in request.aliases),
                )
            )
            return response

        monitor.RegisterResource = keep
        return program()

    run_program(recorded, project=project, stack=stack, preview=preview, config=config)
    return goals


def _split(urn: str) -> tuple[str, str, str, str]:
    """``urn:pulumi:<stack>::<project>::<qualified type>::<name>`` → its four parts."""
    head, project, qualified, name = urn.split("::", 3)
    return head.removeprefix("urn:pulumi:"), project, qualified, name


def create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    """The engine's ``resource.CreateURN``: under ``parent``'s type chain, or top level without one."""
    if not parent:
        return f"urn:pulumi:{stack}::{project}::{type_}::{name}"
    return f"{parent[: parent.rindex('::')]}${type_}::{name}"


@dataclass
class Steps:
    """What the engine would do with each resource, compared with an old state."""

    same: list[str] = field(default_factory=list)
    """New URNs found in the old state as they are."""
    aliased: dict[str, str] = field(default_factory=dict)
    """New URN → the old URN it took over through an alias."""
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def replaced(self) -> list[str]:
        """Old URNs the new program does not keep: each would be deleted (and a new one created)."""
        return self.deleted


class Deployment:
    """The engine's alias bookkeeping for one update against ``olds`` (URNs of the last state)."""

    def __init__(self, olds: Iterable[str], *, project: str, stack: str) -> None:
        self.olds = set(olds)
        self.project = project
        self.stack = stack
        self.aliases: dict[str, str] = {}
        """New URN → old URN, for resources matched through an alias (``sg.aliases``)."""
        self.claimed: dict[str, str] = {}
        """Old URN → the new URN that took it."""
        self.steps = Steps()

    def collapse(self, goal: Goal, alias: AliasSpec) -> str:
        if alias.urn:
            return alias.urn
        name = alias.name or goal.name
        type_ = alias.type or goal.type
        parent = alias.parent or goal.parent
        if alias.parent:
            parent = self.aliases.get(parent, parent)
        if alias.no_parent or (parent and _split(parent)[2] == STACK_TYPE):
            parent = ""
        return create_urn(name, type_, parent, alias.project or self.project, alias.stack or self.stack)

    def inherited(self, child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
        alias_name = child_name
        if child_name.startswith(parent_name):
            alias_name = _split(parent_alias)[3] + child_name[len(parent_name) :]
        chain = f"{_split(parent_alias)[2]}${child_type}"
        return f"urn:pulumi:{self.stack}::{self.project}::{chain}::{alias_name}"

    def candidates(self, goal: Goal) -> list[str]:
        """The resource's aliases as URNs, in the engine's order (``generateAliases``)."""
        out: list[str] = []
        for alias in goal.aliases:
            out.append(self.collapse(goal, alias))
        parent_alias = self.aliases.get(goal.parent) if goal.parent else None
        if parent_alias is not None:
            parent_name = _split(goal.parent)[3]
            out.append(self.inherited(goal.type, goal.name, parent_name, parent_alias))
            for alias in goal.aliases:
                old = _split(self.collapse(goal, alias))
                out.append(self.inherited(old[2].split("$")[-1], old[3], parent_name, parent_alias))
        return list(dict.fromkeys(out))

    def register(self, goal: Goal) -> None:
        for candidate in [goal.urn, *self.candidates(goal)]:
            if candidate not in self.olds:
                continue
            taken = self.claimed.get(candidate)
            if taken is not None and taken != goal.urn:
                self.steps.errors.append(f"{goal.urn} and {taken} both claim {candidate}")
            self.claimed[candidate] = goal.urn
            if candidate == goal.urn:
                self.steps.same.append(goal.urn)
            else:
                self.aliases[goal.urn] = candidate
                self.steps.aliased[goal.urn] = candidate
            return
        self.steps.created.append(goal.urn)

    def finish(self) -> Steps:
        self.steps.deleted = sorted(self.olds - set(self.claimed))
        return self.steps


def resolve(olds: Iterable[str], goals: Sequence[Goal], *, project: str, stack: str) -> Steps:
    """Register ``goals`` in order against the old state ``olds``."""
    deployment = Deployment(olds, project=project, stack=stack)
    for goal in goals:
        deployment.register(goal)
    return deployment.finish()


def urns(goals: Iterable[Goal]) -> list[str]:
    return sorted(goal.urn for goal in goals)


def read_snapshot(path: Path) -> dict[str, list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): [str(u) for u in v] for k, v in data.items()}


def write_snapshot(path: Path, snapshot: dict[str, list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(snapshot.items())), indent=2) + "\n", encoding="utf-8")
