"""``cluster`` v1 with a ``minerva`` (Trino) section."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from .base import ResourceMeta, StrictModel, StrictName, new_dict, new_list, raise_at
from .depot import SecretRef
from .refs import DatasetAddress, parse_address
from .values import CronExpression, TimeZone
from .workflow import Resources

CONF_ENV = re.compile(r"^CONF__(?P<file>[a-z][a-z0-9-]*)__(?P<key>[A-Za-z0-9][A-Za-z0-9._-]*)$")
JVM_ENV = "JVM__opts"
_PLAIN_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CATALOG_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]


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
    users: list[str] = Field(default_factory=lambda: ["**"])
    sources: list[str] = Field(default_factory=lambda: ["**"])
    tags: list[str] = Field(default_factory=new_list)


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


class ClusterSpec(StrictModel):
    """The cluster: maintenance (restart and scaling crons) and the Trino (minerva) section."""

    compute: str | None = None
    run_as_user: str | None = None
    maintenance: Maintenance = Field(default_factory=Maintenance)
    minerva: Minerva


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
        return self.cluster.minerva

    @property
    def depot_names(self) -> list[str]:
        return sorted({d.parsed.depot for d in self.minerva.depots})
