"""``workflow`` v1: a DAG of jobs, each run by a DataOS stack (``scanner``, ``container``, ``flare``,
``soda``, ``dbt``, ...). Scanner jobs are typed fully; jobs of other stacks have their envelope
checked (name, schedule, DAG, dependencies, the job fields every stack shares) and their
``stackSpec`` kept as written."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AliasChoices,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from .base import ResourceMeta, ResourceName, StrictModel, new_dict, new_list, raise_at, reraisable
from .refs import DatasetAddress, parse_address
from .values import CronExpression, JobLogLevel, Quantity, TimeZone, parse_quantity

SCANNER_STACK = "scanner"
CONTAINER_STACK = "container"
ALPHA_STACK = "alpha"
CONTAINER_STACKS = (CONTAINER_STACK, ALPHA_STACK)
"""Stacks whose job runs its own image: ``container``, and ``alpha``, DataOS's older name for it (the
docs deploy the same image with either; the ``alpha:`` block holds what ``container:`` does)."""
STACK_PATTERN = r"^(?P<name>[a-z][a-z0-9+-]*)(?::(?P<version>[A-Za-z0-9._-]+))?$"
"""``name`` or ``name:version`` (``scanner:2.0``, ``flare:7.0``, ``soda+python:1.0``, ``container``)."""
_STACK = re.compile(STACK_PATTERN)
METADATA_SCANNER_TYPES = ("data-product", "users")
"""Scanner ``stackSpec.type`` values that read DataOS's own metadata (data products, users), no depot."""


def _text(value: Any) -> Any:
    """YAML reads ``60000`` as a number and ``true`` as a boolean; an environment value is text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


EnvValue = Annotated[str, BeforeValidator(_text)]


def _timestamp_text(value: Any) -> Any:
    """YAML reads ``2022-01-01T23:40:45Z`` (unquoted) as a timestamp; keep it as ISO 8601 text."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    return value


class ConcurrencyPolicy(StrEnum):
    ALLOW = "Allow"
    FORBID = "Forbid"
    REPLACE = "Replace"


class Schedule(StrictModel):
    cron: CronExpression
    timezone: TimeZone | None = None
    concurrency_policy: ConcurrencyPolicy = ConcurrencyPolicy.ALLOW
    end_on: Annotated[str, BeforeValidator(_timestamp_text)] | None = Field(
        default=None, description="When the schedule stops (ISO 8601, e.g. 2024-11-01T23:40:45Z)."
    )


class Retry(StrictModel):
    count: int = Field(default=0, ge=0, le=100)
    strategy: Literal["Always", "OnFailure", "OnError", "OnTransientError"] = "OnFailure"
    duration: str | None = Field(default=None, description="Back-off between retries (DataOS passes it on).")
    max_duration: str | None = Field(default=None, description="Longest time to keep retrying.")


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
    """The scanner's source options, as DataOS documents them per source. For S3 depots this tool
    applies ``schemaFilterPattern`` (collections), ``tableFilterPattern`` (datasets),
    ``markDeletedTables`` (always limited to what the filters admit, as
    ``markDeletedTablesfromFilterOnly: true`` asks) and ``includeTables`` (false: no dataset is
    registered). The others are accepted and kept for the sources they are meant for: an S3 depot
    has one database, no views, topics or Metis tags (``databaseFilterPattern``,
    ``collectionFilterPattern``, ``topicFilterPattern``, ``dataProductFilterPattern`` narrowing an
    S3 scan draw a warning)."""

    type: str | None = None
    mark_deleted_tables: bool = False
    mark_deleted_tables_from_filter_only: bool = Field(
        default=False,
        alias="markDeletedTablesfromFilterOnly",
        validation_alias=AliasChoices("markDeletedTablesfromFilterOnly", "markDeletedTablesFromFilterOnly"),
    )
    include_tables: bool = True
    include_views: bool = True
    include_tags: bool = True
    include_collections: bool = True
    ingest_sample_data: bool = False
    mark_deleted_topics: bool = False
    mark_deleted_data_products: bool = False
    enable_debug_log: bool = False
    database_filter_pattern: FilterPattern = Field(default_factory=FilterPattern)
    schema_filter_pattern: FilterPattern = Field(default_factory=FilterPattern)
    table_filter_pattern: FilterPattern = Field(default_factory=FilterPattern)
    topic_filter_pattern: FilterPattern = Field(default_factory=FilterPattern)
    collection_filter_pattern: FilterPattern = Field(default_factory=FilterPattern)
    data_product_filter_pattern: FilterPattern = Field(default_factory=FilterPattern)

    S3_PASSED_THROUGH: ClassVar[tuple[str, ...]] = (
        "databaseFilterPattern",
        "collectionFilterPattern",
        "topicFilterPattern",
        "dataProductFilterPattern",
    )
    """Filters an S3 depot has nothing to apply to (see the class description)."""

    def narrowing_but_not_applied(self) -> list[str]:
        """The filters of :attr:`S3_PASSED_THROUGH` that hold patterns (the user expects narrowing)."""
        out = []
        for alias in self.S3_PASSED_THROUGH:
            name = next(n for n, f in type(self).model_fields.items() if f.alias == alias)
            pattern = getattr(self, name)
            if pattern.includes or pattern.excludes:
                out.append(alias)
        return out


class SourceConfig(StrictModel):
    config: ScannerConfig = Field(default_factory=ScannerConfig)


class ScannerStackSpec(StrictModel):
    """What the scanner reads: a depot (a name or a dataos:// address) with source options, or, with
    no depot, DataOS metadata (``type: data-product`` or ``users``) or a source described inline
    (``type`` + ``sourceConnection``, the non-depot scanner). Only depot scans run here (S3 depots
    register their datasets in Glue); the others are validated and not run."""

    depot: str | None = None
    type: str | None = None
    source: str | None = None
    source_connection: dict[str, Any] | None = None
    source_config: SourceConfig = Field(default_factory=SourceConfig)

    @field_validator("depot")
    @classmethod
    def _depot_address(cls, value: str | None) -> str | None:
        if value is not None:
            parse_address(value, allow_bare_name=True)
        return value

    @model_validator(mode="after")
    def _reads_something(self) -> ScannerStackSpec:
        if self.depot is None and self.type is None:
            raise_at(
                ("depot",),
                "a scanner job reads a depot ('depot: <name or dataos:// address>'), or names what it "
                "scans without one ("
                + ", ".join(f"'type: {t}'" for t in METADATA_SCANNER_TYPES)
                + ", or a source type with 'sourceConnection')",
            )
        return self

    @property
    def depot_address(self) -> DatasetAddress:
        if self.depot is None:
            raise ValueError("this scanner job reads no depot")
        return parse_address(self.depot, allow_bare_name=True)

    @property
    def config(self) -> ScannerConfig:
        return self.source_config.config


class DataosSecret(StrictModel):
    """A DataOS secret a job consumes (``dataosSecrets[]``)."""

    name: str
    workspace: str | None = None
    key: str | None = None
    keys: list[str] = Field(default_factory=new_list)
    all_keys: bool = Field(default=False, validation_alias=AliasChoices("allKeys", "allkeys"))
    consumption_type: str | None = None


class DataosVolume(StrictModel):
    """A DataOS volume mounted into a job (``dataosVolumes[]``, ``persistentVolume``)."""

    name: str
    directory: str | None = None
    read_only: bool = False
    sub_path: str | None = None


class TopologyElement(StrictModel):
    name: str
    type: str
    doc: str | None = None
    properties: dict[str, Any] = Field(default_factory=new_dict)
    dependencies: list[str] = Field(default_factory=new_list)


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


class JobSpecBase(StrictModel):
    """What every stack's job has: the stack, compute, resources, environment, secrets, volumes."""

    stack: str = Field(
        description="The stack that runs the job, 'name' or 'name:version' (scanner:2.0, flare:7.0, "
        "container, soda+python:1.0, dbt, ...).",
        json_schema_extra={"pattern": STACK_PATTERN},
    )
    compute: str | None = None
    title: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=new_list)
    log_level: JobLogLevel = "INFO"
    configs: dict[str, Any] = Field(default_factory=new_dict)
    envs: dict[str, EnvValue] = Field(default_factory=new_dict)
    secrets: list[str] = Field(default_factory=new_list)
    dataos_secrets: list[DataosSecret] = Field(default_factory=new_list)
    dataos_volumes: list[DataosVolume] = Field(default_factory=new_list)
    temp_volume: str | None = None
    persistent_volume: DataosVolume | None = None
    resources: Resources = Field(default_factory=Resources)
    retry: Retry = Field(default_factory=Retry)
    dry_run: bool = False
    run_as_user: str | None = Field(
        default=None,
        description="The DataOS user the job acts as (here: the pod's dataproduct.io/run-as-user "
        "annotation, for scanner jobs and jobs of other stacks alike).",
    )
    run_as_api_key: str | None = None
    topology: Annotated[list[TopologyElement], BeforeValidator(_one_or_many)] = Field(
        default_factory=new_list
    )
    file: str | None = None

    @field_validator("stack")
    @classmethod
    def _stack_name(cls, value: str) -> str:
        if not _STACK.match(value):
            raise ValueError(
                f"stack {value!r} is not 'name' or 'name:version' "
                "(e.g. 'scanner:2.0', 'flare:7.0', 'container')"
            )
        return value

    @property
    def stack_name(self) -> str:
        return self.stack.split(":", 1)[0]


class ScannerJobSpec(JobSpecBase):
    """A scanner job (``stack: scanner:<version>``): ``stackSpec`` says what it scans."""

    model_config = ConfigDict(title="scanner job")

    stack_spec: ScannerStackSpec


class ContainerSpec(StrictModel):
    """The container stack's ``stackSpec`` (or the older ``container:`` block): an image, its command
    and arguments, and the secret that pulls it from a private registry."""

    image: str | None = None
    image_pull_secret: ResourceName | None = Field(
        default=None,
        description="The secret holding the private registry's credentials (DataOS: a secret of type "
        "cloud-kernel-image-pull). Here: the name of a Kubernetes Secret of type "
        "kubernetes.io/dockerconfigjson in the job's namespace, listed in the pod's imagePullSecrets; "
        "this tool does not create it.",
    )
    command: list[str] = Field(default_factory=new_list)
    arguments: list[str] = Field(default_factory=new_list)


class StackJobSpec(JobSpecBase):
    """A job of another stack (container, flare, soda, dbt, ...): its ``stackSpec`` is the stack's
    own, kept as written (the older per-stack blocks ``flare:``, ``container:``, ``alpha:`` too). A
    ``container`` job (or ``alpha``, the container stack's older name) runs as a Kubernetes Job of its
    own image (``stackSpec.image``, or the image of its ``container:`` / ``alpha:`` block); another
    stack's job runs in the image the stack config maps it to (``dataproduct:stackImages``)."""

    model_config = ConfigDict(title="job of another stack")

    stack_spec: dict[str, Any] | None = Field(
        default=None,
        description="The stack's own spec, kept as written; a container (or alpha) job's holds image, "
        "imagePullSecret, command and arguments (checked as the container: block below is).",
    )
    tier: str | None = Field(default=None, description="Older flare jobs: the tier (connect, ...).")
    flare: dict[str, Any] | None = None
    container: ContainerSpec | None = None
    soda: Any = Field(
        default=None,
        description="Refused: DataOS documents no soda: block; the soda stack's datasets go in "
        "stackSpec.inputs (its reference, soda/configurations.md).",
    )
    alpha: ContainerSpec | None = Field(
        default=None,
        description="The alpha stack's block (alpha is the container stack's older name): the same "
        "fields as container:, and a job of the alpha stack runs its image as a container job does.",
    )

    @field_validator("soda", mode="before")
    @classmethod
    def _soda_block(cls, value: Any) -> Any:
        where = (
            "the soda stack reads its datasets from stackSpec.inputs (a list of {dataset, checks, "
            "profile, ...}, as the soda stack's reference documents it)"
        )
        if isinstance(value, list):
            raise ValueError(f"{where}: move this list there")
        raise ValueError(f"{where}; DataOS documents no soda: block: put what it holds under stackSpec")

    @model_validator(mode="after")
    def _container_spec(self) -> StackJobSpec:
        stack = self.stack_name
        if stack in CONTAINER_STACKS:
            for other in CONTAINER_STACKS:
                if other != stack and getattr(self, other) is not None:
                    raise_at(
                        (other,),
                        f"{other}: is the {other} stack's block; a stack: {stack} job writes its image "
                        f"in stackSpec or {stack}:",
                    )
            if self.stack_spec is not None and getattr(self, stack) is not None:
                raise_at(
                    (stack,),
                    f"a stack: {stack} job writes its image in one place: stackSpec, or the older {stack}: "
                    "block; this job writes both",
                )
        if self.image_block == "stackSpec" and self.stack_spec is not None:
            try:
                ContainerSpec.model_validate(self.stack_spec)
            except ValidationError as exc:
                details = [reraisable(err, ("stackSpec",)) for err in exc.errors()]
                raise ValidationError.from_exception_data("workflow", details) from None
        return self

    @property
    def image_block(self) -> str | None:
        """Where a job of a :data:`CONTAINER_STACKS` stack has its image: ``stackSpec``, or (with no
        stackSpec) the older block named after its stack (``container``, ``alpha``); None for a job
        of another stack."""
        if self.stack_name not in CONTAINER_STACKS:
            return None
        if self.stack_spec is None and getattr(self, self.stack_name) is not None:
            return self.stack_name
        return "stackSpec"

    @property
    def container_spec(self) -> ContainerSpec | None:
        """A container (or alpha) job's image, command, arguments and pull secret, from
        :attr:`image_block`; None for a job of another stack or with neither block."""
        block = self.image_block
        if block is None:
            return None
        if block == "stackSpec":
            return ContainerSpec.model_validate(self.stack_spec) if self.stack_spec is not None else None
        spec: ContainerSpec | None = getattr(self, block)
        return spec


def _job_kind(data: Any) -> str:
    stack = data.get("stack") if isinstance(data, dict) else getattr(data, "stack", None)
    name = str(stack).split(":", 1)[0] if stack is not None else ""
    return "ScannerJobSpec" if name == SCANNER_STACK else "StackJobSpec"


def _any_of_job_specs(schema: dict[str, Any]) -> None:
    """The stack picks the spec model (the discriminator); a scanner spec also fits the other stacks'
    envelope, so the JSON Schema offers both with ``anyOf`` (``oneOf`` would refuse it)."""
    for node in (schema, *schema.get("anyOf", [])):
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
            node.pop("discriminator", None)


JobSpec = Annotated[
    Annotated[ScannerJobSpec, Tag("ScannerJobSpec")] | Annotated[StackJobSpec, Tag("StackJobSpec")],
    Discriminator(_job_kind),
]


class DagJob(StrictModel):
    """A job of the DAG: its ``spec`` inline, or a ``file`` holding it (as DataOS resolves it on
    apply; such a job is validated here but not run)."""

    name: ResourceName
    title: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=new_list)
    dependencies: list[str] = Field(default_factory=new_list)
    gc_when_complete: bool = False
    retry: Retry | None = None
    file: str | None = None
    spec: JobSpec | None = Field(default=None, json_schema_extra=_any_of_job_specs)

    @model_validator(mode="before")
    @classmethod
    def _spec_not_empty(cls, data: Any) -> Any:
        if isinstance(data, dict) and "spec" in data and data["spec"] is None:
            raise_at(
                ("spec",), "'spec' is empty: the job's stack, compute and stackSpec go under it, indented"
            )
        return data

    @model_validator(mode="after")
    def _spec_or_file(self) -> DagJob:
        if (self.spec is None) == (self.file is None):
            raise_at(
                ("spec",),
                "each job needs exactly one of 'spec' (the job inline) or 'file' (a file holding it)",
            )
        return self

    @property
    def stack_name(self) -> str | None:
        return self.spec.stack_name if self.spec is not None else None

    @property
    def inline_spec(self) -> ScannerJobSpec | StackJobSpec:
        """The job's ``spec``; a job given by ``file`` has none here."""
        if self.spec is None:
            raise ValueError(f"job {self.name!r} is given by file ({self.file}); its spec is not read here")
        return self.spec

    @property
    def scanner_spec(self) -> ScannerStackSpec | None:
        """The scanner's stackSpec, for a scanner job."""
        return self.spec.stack_spec if isinstance(self.spec, ScannerJobSpec) else None

    @property
    def scanner_config(self) -> ScannerConfig:
        """The source options of a scanner job (``stackSpec.sourceConfig.config``)."""
        spec = self.scanner_spec
        if spec is None:
            raise ValueError(f"job {self.name!r} is not a scanner job")
        return spec.config

    @property
    def scanned_depot(self) -> DatasetAddress | None:
        """The depot (and collection/dataset) a scanner job reads; None for any other job."""
        spec = self.scanner_spec
        return spec.depot_address if spec is not None and spec.depot is not None else None


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
    """A workflow: a DAG of jobs of any DataOS stack. Scanner jobs that read an S3 depot run as the
    depot scanner here; ``container`` (and ``alpha``) jobs and jobs of a stack mapped to an image
    (``dataproduct:stackImages``) run as Kubernetes Jobs (CronJobs on a schedule)."""

    KIND: ClassVar[str] = "workflow"

    version: Literal["v1"]
    type: Literal["workflow"]
    workflow: WorkflowSpec

    @property
    def scanner_jobs(self) -> list[DagJob]:
        """The jobs that scan a depot."""
        return [job for job in self.workflow.dag if job.scanned_depot is not None]

    @property
    def stack_jobs(self) -> list[DagJob]:
        """Every other job: scanners of no depot, other stacks, jobs given by file."""
        return [job for job in self.workflow.dag if job.scanned_depot is None]
