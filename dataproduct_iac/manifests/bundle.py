"""``bundle``: a set of resources applied together, in ``dependencies`` order."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from .base import ResourceMeta, ResourceName, StrictModel, new_dict, new_list, raise_at
from .values import CronExpression, TimeZone


class Workspace(StrictModel):
    name: ResourceName
    description: str | None = None
    tags: list[str] = Field(default_factory=new_list)
    labels: dict[str, str] = Field(default_factory=new_dict)
    layer: Literal["user", "system"] = "user"


class DependencyCondition(StrictModel):
    resource_id: str
    status: dict[str, Any] = Field(default_factory=new_dict)
    runtime: dict[str, Any] = Field(default_factory=new_dict)


class BundleResource(StrictModel):
    """One entry of the bundle: an inline manifest (``spec``) or a manifest file (``file``)."""

    id: ResourceName
    workspace: str | None = None
    spec: dict[str, Any] | None = None
    file: str | None = None
    dependencies: list[str] = Field(default_factory=new_list)
    dependency_conditions: list[DependencyCondition] = Field(default_factory=new_list)

    @model_validator(mode="after")
    def _spec_or_file(self) -> BundleResource:
        if (self.spec is None) == (self.file is None):
            raise ValueError("each bundle resource needs exactly one of 'spec' (inline manifest) or 'file'")
        return self


class CronSpec(StrictModel):
    cron: CronExpression


class BundleSchedule(StrictModel):
    initial_state: Literal["create", "delete"] = "create"
    timezone: TimeZone | None = None
    create: CronSpec | None = None
    delete: CronSpec | None = None


class BundleSpec(StrictModel):
    """Resource ids are unique; every dependency names an id of this bundle; no cycles."""

    workspaces: list[Workspace] = Field(default_factory=new_list)
    resources: list[BundleResource] = Field(min_length=1)
    schedule: BundleSchedule | None = None
    properties: dict[str, Any] = Field(default_factory=new_dict)

    @model_validator(mode="after")
    def _check_ids(self) -> BundleSpec:
        ids: list[str] = []
        for index, resource in enumerate(self.resources):
            if resource.id in ids:
                raise_at(("resources", index, "id"), f"duplicate resource id {resource.id!r} in the bundle")
            ids.append(resource.id)
        for index, resource in enumerate(self.resources):
            for dep_index, dep in enumerate(resource.dependencies):
                if dep not in ids:
                    raise_at(
                        ("resources", index, "dependencies", dep_index),
                        f"resource {resource.id!r} depends on {dep!r}, which is not an id in this bundle "
                        f"(ids: {', '.join(ids)})",
                    )
        return self


class Bundle(ResourceMeta):
    """Resources applied together; children follow their ``dependencies``."""

    KIND: ClassVar[str] = "bundle"
    VERSIONS: ClassVar[tuple[str, ...]] = ("v1beta",)

    version: Literal["v1beta"]
    type: Literal["bundle"]
    bundle: BundleSpec
