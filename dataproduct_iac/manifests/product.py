"""Data product manifests: ``v1beta`` and the older ``v1alpha`` (still common in real repositories)."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import ResourceMeta, StrictModel, new_dict, new_list, raise_at
from .refs import DatasetAddress, ResourceRef, parse_address, parse_ref


class DeprecatedFieldWarning(UserWarning):
    """A manifest uses a field that DataOS has deprecated; it still works."""


class Collaborator(StrictModel):
    name: str
    description: str | None = None


class DataProductMeta(StrictModel):
    title: str | None = None
    source_code_url: str | None = None
    tracker_url: str | None = None


class Reference(StrictModel):
    """``refType`` + ``ref``: ``ref`` parses to a dataset address or a resource reference."""

    ref_type: Literal["dataos", "dataos_address", "depot", "external"] = Field(
        default="dataos",
        description="dataos (a DataOS address), dataos_address, depot (a dataset of a depot on a "
        "third-party system, addressed the same way), or external (any text, not resolved).",
    )
    ref: str
    description: str | None = None
    purpose: str | None = None
    meta: dict[str, Any] = Field(default_factory=new_dict)

    @field_validator("ref")
    @classmethod
    def _parse(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("ref_type") != "external":
            parse_ref(value)
        return value

    @property
    def target(self) -> DatasetAddress | ResourceRef:
        return parse_ref(self.ref)


class DatasetReference(Reference):
    """An input or output: must address a dataset (``dataset:d:c:t`` or ``dataos://d:c/t``)."""

    @field_validator("ref")
    @classmethod
    def _dataset(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("ref_type") != "external":
            parse_address(value)
        return value

    @property
    def address(self) -> DatasetAddress:
        return parse_address(self.ref)


def _one_or_list(schema: dict[str, Any]) -> None:
    """JSON Schema of a port: one reference or a list of them, as the model accepts."""
    as_list = dict(schema)
    schema.clear()
    schema["anyOf"] = [as_list["items"], as_list]


class Ports(StrictModel):
    """Each kind of port takes one reference or a list of them (``ports.lens`` is documented both ways)."""

    lens: list[Reference] = Field(default_factory=new_list, json_schema_extra=_one_or_list)
    talos: list[Reference] = Field(default_factory=new_list, json_schema_extra=_one_or_list)
    rest: list[Reference] = Field(default_factory=new_list, json_schema_extra=_one_or_list)
    postgres: list[Reference] = Field(default_factory=new_list, json_schema_extra=_one_or_list)

    @field_validator("lens", "talos", "rest", "postgres", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("talos")
    @classmethod
    def _talos_deprecated(cls, value: list[Reference]) -> list[Reference]:
        if value:
            warnings.warn(
                "ports.talos is deprecated in DataOS (Talos ports were dropped from the data product "
                "spec); it is accepted and published, but plan to move to ports.rest",
                DeprecatedFieldWarning,
                stacklevel=2,
            )
        return value

    def all(self) -> list[tuple[str, Reference]]:
        out: list[tuple[str, Reference]] = []
        for kind in ("lens", "talos", "rest", "postgres"):
            out.extend((kind, ref) for ref in getattr(self, kind))
        return out


class RelatedDataProduct(StrictModel):
    ref: str
    ref_type: str = "dataos"
    description: str | None = None


class V1BetaData(StrictModel):
    """resource references the bundle that builds the product (bundle:v1beta:<name>); inputs and
    outputs address datasets in defined depots (dataset:depot:collection:dataset or
    dataos://depot:collection/dataset); outputs need a depot with a read-write secret; ports.talos
    is deprecated (accepted with a warning)."""

    meta: DataProductMeta
    collaborators: list[Collaborator] = Field(default_factory=new_list)
    resource: Reference
    inputs: list[DatasetReference] = Field(min_length=1)
    outputs: list[DatasetReference] = Field(default_factory=new_list)
    ports: Ports = Field(default_factory=Ports)
    related_data_products: list[RelatedDataProduct] = Field(default_factory=new_list)

    @model_validator(mode="after")
    def _resource_is_bundle(self) -> V1BetaData:
        value = self.resource
        if value.ref_type == "external":
            raise_at(("resource", "refType"), "resource must be a bundle of this product ('refType: dataos')")
        target = value.target
        if not isinstance(target, ResourceRef) or target.kind != "bundle":
            raise_at(
                ("resource", "ref"),
                f"resource must reference a bundle ('bundle:v1beta:<name>'), got {value.ref!r}",
            )
        return self


class V1Beta(StrictModel):
    data: V1BetaData


class AlphaResource(StrictModel):
    """v1alpha ``resources[]``: a resource by name and type instead of a single bundle ref."""

    name: str
    type: str
    version: str = "v1"
    ref_type: str = "dataos"
    workspace: str | None = None
    description: str | None = None
    purpose: str | None = None


class V1AlphaData(StrictModel):
    """The older layout: collaborators as plain names, resources[] (name, type) instead of resource;
    useCases and domain describe the product (published with it)."""

    meta: DataProductMeta = Field(default_factory=DataProductMeta)
    use_cases: list[str] = Field(default_factory=new_list)
    domain: str | None = None
    collaborators: list[str | Collaborator] = Field(default_factory=new_list)
    resources: list[AlphaResource] = Field(default_factory=new_list)
    inputs: list[DatasetReference] = Field(min_length=1)
    outputs: list[DatasetReference] = Field(default_factory=new_list)
    ports: Ports = Field(default_factory=Ports)


class V1Alpha(StrictModel):
    data: V1AlphaData


class DataProduct(ResourceMeta):
    """A data product: inputs and outputs in depots, built by a bundle, served through ports."""

    KIND: ClassVar[str] = "product"
    VERSIONS: ClassVar[tuple[str, ...]] = ("v1beta", "v1alpha")

    version: Literal["v1beta", "v1alpha"]
    entity: Literal["product"] = "product"
    type: Literal["data"]
    purpose: str | None = None
    collaborators: list[str | Collaborator] = Field(default_factory=new_list)
    v1beta: V1Beta | None = Field(default=None, alias="v1beta")
    v1alpha: V1Alpha | None = Field(default=None, alias="v1alpha")

    @model_validator(mode="after")
    def _section_matches_version(self) -> DataProduct:
        section = getattr(self, self.version)
        other = "v1alpha" if self.version == "v1beta" else "v1beta"
        if getattr(self, other) is not None:
            raise_at(
                (other,),
                f"version is {self.version} but the manifest has a '{other}' section "
                f"(write it under '{self.version}:' or set 'version: {other}')",
            )
        if section is None:
            raise_at(
                (self.version,), f"version is {self.version}: the '{self.version}.data' section is mandatory"
            )
        return self

    @property
    def data(self) -> V1BetaData | V1AlphaData:
        section = self.v1beta or self.v1alpha
        assert section is not None  # guaranteed by the validator
        return section.data

    @property
    def inputs(self) -> list[DatasetReference]:
        return self.data.inputs

    @property
    def outputs(self) -> list[DatasetReference]:
        return self.data.outputs

    @property
    def ports(self) -> Ports:
        return self.data.ports

    @property
    def bundle_name(self) -> str | None:
        data = self.data
        if isinstance(data, V1BetaData):
            target = data.resource.target
            return target.name if isinstance(target, ResourceRef) else None
        bundles = [r.name for r in data.resources if r.type == "bundle"]
        return bundles[0] if bundles else None

    @property
    def collaborator_names(self) -> list[str]:
        people = [*self.collaborators, *self.data.collaborators]
        return [p if isinstance(p, str) else p.name for p in people]
