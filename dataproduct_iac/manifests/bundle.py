"""``bundle``: a set of resources applied together, in ``dependencies`` order."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from .base import ResourceMeta, ResourceName, StrictModel, new_dict, new_list, raise_at
from .values import CronExpression, TimeZone


class Workspace(StrictModel):
    name: ResourceName
    description: str | None = None
    tags: list[str] = Field(default_factory=new_list)
    labels: dict[str, str] = Field(default_factory=new_dict)
    layer: Literal["user", "system"] = "user"


BUNDLE_ID_PATTERN = r"^\S(.*\S)?$"
"""Bundle resource ids: any text on one line that neither starts nor ends with a space. DataOS's bundle
reference asks only for a string unique in the bundle ("valid string"); its examples write
``flare-job``, ``quality_dag`` and ``soda checks``. An id names the entry for ``dependencies`` and
``dependencyConditions`` only: no physical name derives from it."""


def _check_bundle_id(value: str) -> str:
    if not re.fullmatch(BUNDLE_ID_PATTERN, value):
        raise ValueError(
            f"resource id {value!r}: an id is text on one line that does not start or end with a space "
            "(e.g. 'flare-job', 'quality_dag', 'soda checks')"
        )
    return value


BundleId = Annotated[
    str,
    AfterValidator(_check_bundle_id),
    Field(
        description="Any text on one line, not starting or ending with a space.",
        json_schema_extra={"pattern": BUNDLE_ID_PATTERN},
    ),
]


class StateMatch(StrictModel):
    """States a dependency must be in: any of ``is``, or containing any of ``contains``."""

    is_: list[str] = Field(default_factory=new_list, alias="is")
    contains: list[str] = Field(default_factory=new_list)


class DependencyCondition(StrictModel):
    """When a dependency counts as met (DataOS's default: status is active). Kept as written: this
    tool orders creation by ``dependencies``; the engine has no status to wait for."""

    resource_id: BundleId
    status: StateMatch | None = None
    runtime: StateMatch | None = None


class BundleResource(StrictModel):
    """One entry of the bundle: an inline manifest (``spec``) or a manifest file (``file``)."""

    id: BundleId
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


CronList = Annotated[list[CronSpec], BeforeValidator(lambda v: [v] if isinstance(v, dict) else v)]
"""A list of ``{cron: ...}`` entries, as the bundle reference documents it; one mapping also does."""


class BundleSchedule(StrictModel):
    """When DataOS creates and deletes the bundle's resources (kept as written: a Pulumi stack has
    no such schedule)."""

    initial_state: Literal["create", "delete"] = "create"
    timezone: TimeZone | None = None
    create: CronList = Field(default_factory=new_list)
    delete: CronList = Field(default_factory=new_list)


class BundleSpec(StrictModel):
    """Resource ids are unique; every dependency names an id of this bundle; no cycles."""

    workspaces: list[Workspace] = Field(default_factory=new_list)
    resources: list[BundleResource] = Field(min_length=1)
    schedule: BundleSchedule | None = None
    properties: dict[str, Any] = Field(default_factory=new_dict)
    manage_as_user: str | None = Field(
        default=None, description="The DataOS user that manages the resources."
    )

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
    VERSIONS: ClassVar[tuple[str, ...]] = ("v1beta", "v1alpha")

    version: Literal["v1beta", "v1alpha"]
    type: Literal["bundle"]
    bundle: BundleSpec
