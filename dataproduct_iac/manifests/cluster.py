"""``cluster`` v1 with a ``minerva`` (Trino) section."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from .base import ResourceMeta, StrictModel, StrictName, new_dict, new_list, raise_at
from .depot import SecretRef
from .refs import DatasetAddress, parse_address
from .values import CronExpression, LogLevel, TimeZone
from .workflow import DataosSecret, Resources

CONF_ENV = re.compile(r"^CONF__(?P<file>[a-z][a-z0-9-]*)__(?P<key>[A-Za-z0-9][A-Za-z0-9._-]*)$")
JVM_ENV = "JVM__opts"
_PLAIN_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CATALOG_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


PropertyValue = Annotated[str, BeforeValidator(_as_text)]


def env_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid coordinatorEnvs/workerEnvs key, or None when it is."""
    if key.startswith("CONF__"):
        if not CONF_ENV.match(key):
            return (
                f"malformed key {key!r}: expected CONF__<file>__<property>, e.g. "
                "'CONF__config__query.max-memory' (file 'config' means config.properties)"
            )
    elif key.startswith("JVM__"):
        if key != JVM_ENV:
            return f"malformed key {key!r}: the only JVM key is {JVM_ENV!r}"
    elif key.upper().startswith("CONF") and "__" in key:
        return (
            f"malformed key {key!r}: Trino settings are written CONF__<file>__<property> "
            "(upper-case, two '_')"
        )
    elif not _PLAIN_ENV.match(key):
        return (
            f"{key!r} is neither CONF__<file>__<property>, JVM__opts, nor a valid environment variable name"
        )
    return None


class Debug(StrictModel):
    log_level: LogLevel = "INFO"
    trino_log_level: LogLevel = "INFO"


class Selector(StrictModel):
    """Which users, tags and sources DataOS's gateway sends to this cluster (kept as written)."""

    users: list[str] = Field(default_factory=lambda: ["**"])
    sources: list[str] = Field(default_factory=lambda: ["**"])
    tags: list[str] = Field(default_factory=new_list)
    match: Literal["any", "all", ""] = ""
    priority: int | None = Field(default=None, ge=1, le=5000)

    @field_validator("priority", mode="before")
    @classmethod
    def _number_text(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value


class ClusterDepot(StrictModel):
    address: str
    properties: dict[str, PropertyValue] = Field(default_factory=new_dict)
    secrets: list[SecretRef] = Field(default_factory=new_list)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        parse_address(value, allow_bare_name=False)
        return value

    @property
    def parsed(self) -> DatasetAddress:
        return parse_address(self.address)


class Catalog(StrictModel):
    name: str = Field(pattern=CATALOG_NAME.pattern)
    type: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    properties: dict[str, PropertyValue] = Field(default_factory=new_dict)


class ScalingCron(StrictModel):
    cron: CronExpression
    replicas: int = Field(ge=0, le=1000)
    resources: Resources | None = None


class Maintenance(StrictModel):
    restart_cron: CronExpression | None = None
    timezone: TimeZone | None = None
    scaling_crons: list[ScalingCron] = Field(default_factory=new_list)


EnvMap = Annotated[dict[str, PropertyValue], Field(default_factory=new_dict)]


class Minerva(StrictModel):
    """Trino settings: coordinatorEnvs/workerEnvs keys are CONF__<file>__<property> (e.g.
    CONF__config__query.max-memory → query.max-memory in config.properties), JVM__opts, or plain
    environment variable names. Each depots[].address must name a defined depot; catalog names
    are unique."""

    selector: Selector = Field(default_factory=Selector)
    replicas: int = Field(default=1, ge=0, le=1000)
    resources: Resources = Field(default_factory=Resources)
    debug: Debug = Field(default_factory=Debug)
    coordinator_envs: EnvMap
    worker_envs: EnvMap
    depots: list[ClusterDepot] = Field(default_factory=new_list)
    catalogs: list[Catalog] = Field(default_factory=new_list)
    secrets: list[str] = Field(default_factory=new_list, description="DataOS secrets (kept as written).")
    override_default_envs: bool = True
    spill_over_volume: str | None = None

    @model_validator(mode="after")
    def _check_keys_and_catalogs(self) -> Minerva:
        for alias, envs in (("coordinatorEnvs", self.coordinator_envs), ("workerEnvs", self.worker_envs)):
            for key in envs:
                problem = env_key_problem(key)
                if problem:
                    raise_at((alias, key), problem)
        seen: set[str] = set()
        for index, catalog in enumerate(self.catalogs):
            if catalog.name in seen:
                raise_at(("catalogs", index, "name"), f"duplicate catalog name {catalog.name!r}")
            seen.add(catalog.name)
        return self


class Toleration(StrictModel):
    """A Kubernetes toleration of a node taint."""

    key: str | None = None
    operator: Literal["Equal", "Exists"] = "Equal"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = None


TOLERATION_KEY = "dedicated"
"""The taint key of DataOS's node pools (``dedicated=<purpose>:NoSchedule``, the compute reference)."""


class Themis(StrictModel):
    """A Themis (Spark SQL) cluster's section: kept as written; ``plan`` refuses a themis cluster."""

    resources: Resources = Field(default_factory=Resources)
    envs: dict[str, PropertyValue] = Field(default_factory=new_dict)
    themis_conf: dict[str, Any] = Field(default_factory=new_dict)
    spark: dict[str, Any] = Field(default_factory=new_dict)
    depots: list[ClusterDepot] = Field(default_factory=new_list)


class ClusterSpec(StrictModel):
    """The cluster: its type (``minerva``, Trino, deployed here; ``themis`` validated and refused at
    plan), the nodes it runs on (``nodeSelector``; ``toleration: <purpose>`` tolerates DataOS's
    ``dedicated=<purpose>:NoSchedule`` taint, ``tolerations`` takes Kubernetes tolerations),
    maintenance (restart and scaling crons) and the type's section."""

    compute: str | None = None
    type: Literal["minerva", "themis"] = "minerva"
    run_as_user: str | None = None
    run_as_api_key: str | None = None
    node_selector: dict[str, str] = Field(default_factory=new_dict)
    toleration: str | None = None
    tolerations: list[Toleration] = Field(default_factory=new_list)
    dataos_secrets: list[DataosSecret] = Field(default_factory=new_list)
    maintenance: Maintenance = Field(default_factory=Maintenance)
    minerva: Minerva | None = None
    themis: Themis | None = None

    @model_validator(mode="after")
    def _section_of_type(self) -> ClusterSpec:
        other = "themis" if self.type == "minerva" else "minerva"
        if getattr(self, other) is not None:
            raise_at((other,), f"the cluster's type is {self.type}, but it has a '{other}' section")
        if getattr(self, self.type) is None:
            raise_at((self.type,), f"a {self.type} cluster needs its '{self.type}' section")
        return self

    @property
    def kubernetes_tolerations(self) -> list[dict[str, Any]]:
        """``toleration`` and ``tolerations`` as Kubernetes tolerations (camelCase)."""
        out = []
        if self.toleration:
            out.append(
                {"key": TOLERATION_KEY, "operator": "Equal", "value": self.toleration, "effect": "NoSchedule"}
            )
        out.extend(t.model_dump(by_alias=True, exclude_none=True) for t in self.tolerations)
        return out


class Cluster(ResourceMeta):
    """A Trino ("Minerva") cluster that queries the depots it addresses."""

    KIND: ClassVar[str] = "cluster"
    NAME_IS_STRICT: ClassVar[bool] = True

    name: StrictName
    version: Literal["v1"]
    type: Literal["cluster"]
    cluster: ClusterSpec

    @property
    def minerva(self) -> Minerva:
        """The Trino section (a minerva cluster's; a themis cluster has none)."""
        if self.cluster.minerva is None:
            raise ValueError(
                f"cluster {self.name!r} is of type {self.cluster.type}: it has no minerva section"
            )
        return self.cluster.minerva

    @property
    def depots(self) -> list[ClusterDepot]:
        """The depots the cluster queries, from its type's section."""
        section = self.cluster.minerva or self.cluster.themis
        return section.depots if section is not None else []

    @property
    def depot_names(self) -> list[str]:
        return sorted({d.parsed.depot for d in self.depots})
