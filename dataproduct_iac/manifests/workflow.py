"""``workflow`` v1 with scanner jobs (``stack: scanner:<version>``)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from .base import ResourceMeta, ResourceName, StrictModel, new_dict, new_list, raise_at
from .refs import DatasetAddress, parse_address
from .values import CronExpression, Quantity, TimeZone, parse_quantity

SUPPORTED_STACKS = ("scanner",)
_STACK = re.compile(r"^(?P<name>[a-z][a-z0-9-]*)(?::(?P<version>[A-Za-z0-9._-]+))?$")


class ConcurrencyPolicy(StrEnum):
    ALLOW = "Allow"
    FORBID = "Forbid"
    REPLACE = "Replace"


class Schedule(StrictModel):
    cron: CronExpression
    timezone: TimeZone | None = None
    concurrency_policy: ConcurrencyPolicy = ConcurrencyPolicy.ALLOW
    end_on: str | None = None


class Retry(StrictModel):
    count: int = Field(default=0, ge=0, le=100)
    strategy: Literal["Always", "OnFailure", "OnError", "OnTransientError"] = "OnFailure"


class ResourceAmounts(StrictModel):
    cpu: Quantity | None = None
    memory: Quantity | None = None


class Resources(StrictModel):
    """Kubernetes requests and limits; a request above its limit is refused (Kubernetes would)."""

    requests: ResourceAmounts = Field(default_factory=ResourceAmounts)
    limits: ResourceAmounts = Field(default_factory=ResourceAmounts)

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        for kind in ("cpu", "memory"):
            request, limit = getattr(self.requests, kind), getattr(self.limits, kind)
            if request is not None and limit is not None and parse_quantity(limit) < parse_quantity(request):
                raise_at(
                    ("limits", kind),
                    f"{kind} limit {limit} is below the request {request}; Kubernetes refuses a "
                    "container whose request exceeds its limit",
                )
        return self


class FilterPattern(StrictModel):
    """Regular expressions matched against schema (collection) or table (dataset) names."""

    includes: list[str] = Field(default_factory=new_list)
    excludes: list[str] = Field(default_factory=new_list)

    @field_validator("includes", "excludes")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
        return patterns

    def admits(self, name: str) -> bool:
        if self.includes and not any(re.fullmatch(p, name) or re.match(p, name) for p in self.includes):
            return False
        return not any(re.fullmatch(p, name) or re.match(p, name) for p in self.excludes)


class ScannerConfig(StrictModel):
    type: str | None = None
    mark_deleted_tables: bool = False
    include_views: bool = True
    schema_filter_pattern: FilterPattern = Field(default_factory=FilterPattern)
    table_filter_pattern: FilterPattern = Field(default_factory=FilterPattern)


class SourceConfig(StrictModel):
    config: ScannerConfig = Field(default_factory=ScannerConfig)


class ScannerStackSpec(StrictModel):
    """What the scanner reads: depot (a name or a dataos:// address) and filter patterns (regular
    expressions) for schemas and tables."""

    depot: str
    source_config: SourceConfig = Field(default_factory=SourceConfig)

    @field_validator("depot")
    @classmethod
    def _depot_address(cls, value: str) -> str:
        parse_address(value, allow_bare_name=True)
        return value

    @property
    def depot_address(self) -> DatasetAddress:
        return parse_address(self.depot, allow_bare_name=True)

    @property
    def config(self) -> ScannerConfig:
        return self.source_config.config


class JobSpec(StrictModel):
    """A job: stack scanner:<version> is supported (other stacks are rejected); stackSpec scans a
    defined depot."""

    stack: str
    compute: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARN", "WARNING", "ERROR"] = "INFO"
    envs: dict[str, str] = Field(default_factory=new_dict)
    resources: Resources = Field(default_factory=Resources)
    retry: Retry = Field(default_factory=Retry)
    stack_spec: ScannerStackSpec

    @model_validator(mode="before")
    @classmethod
    def _check_stack(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "stack" not in data:
            return data
        stack = str(data["stack"])
        match = _STACK.match(stack)
        if not match or match["name"] not in SUPPORTED_STACKS:
            raise_at(
                ("stack",),
                f"unsupported stack {stack!r}; supported: {', '.join(SUPPORTED_STACKS)} (e.g. 'scanner:2.0')",
            )
        return data

    @property
    def stack_name(self) -> str:
        return self.stack.split(":", 1)[0]

    @property
    def stack_version(self) -> str | None:
        _, _, version = self.stack.partition(":")
        return version or None


class DagJob(StrictModel):
    name: ResourceName
    title: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=new_list)
    dependencies: list[str] = Field(default_factory=new_list)
    gc_when_complete: bool = False
    spec: JobSpec


def dag_cycle(needs: dict[str, list[str]]) -> list[str]:
    """A cycle among jobs (job → the jobs it depends on), rotated to start at its job that comes
    first in ``needs``; ``[]`` when there is none. Iterative: a long chain needs no deep recursion."""
    order = {name: index for index, name in enumerate(needs)}
    done: set[str] = set()
    for root in needs:
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root}
        pending = [iter(needs[root])]
        while pending:
            dep = next(pending[-1], None)
            if dep is None:
                pending.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif dep in on_path:
                cycle = path[path.index(dep) :]
                pivot = cycle.index(min(cycle, key=order.__getitem__))
                return cycle[pivot:] + cycle[:pivot]
            elif dep in needs and dep not in done:
                path.append(dep)
                on_path.add(dep)
                pending.append(iter(needs[dep]))
    return []


class WorkflowSpec(StrictModel):
    """Job names are unique; dependencies name jobs of the same DAG and form no cycle."""

    title: str | None = None
    schedule: Schedule | None = None
    dag: list[DagJob] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_dag(self) -> WorkflowSpec:
        names = [job.name for job in self.dag]
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                raise_at(("dag", index, "name"), f"duplicate job name {name!r} in the DAG")
            seen.add(name)
        for index, job in enumerate(self.dag):
            for dep_index, dep in enumerate(job.dependencies):
                if dep not in seen:
                    raise_at(
                        ("dag", index, "dependencies", dep_index),
                        f"job {job.name!r} depends on {dep!r}, which is not a job of this DAG "
                        f"(jobs: {', '.join(names)})",
                    )
        cycle = dag_cycle({job.name: job.dependencies for job in self.dag})
        if cycle:
            index = names.index(cycle[0])
            dep_index = self.dag[index].dependencies.index(cycle[1 % len(cycle)])
            raise_at(
                ("dag", index, "dependencies", dep_index),
                "the DAG has a dependency cycle: " + " → ".join([*cycle, cycle[0]]),
            )
        return self


class Workflow(ResourceMeta):
    """A workflow; supported jobs are metadata scanners (``stack: scanner:*``)."""

    KIND: ClassVar[str] = "workflow"

    version: Literal["v1"]
    type: Literal["workflow"]
    workflow: WorkflowSpec

    @property
    def scanner_jobs(self) -> list[DagJob]:
        return [job for job in self.workflow.dag if job.spec.stack_name == "scanner"]
