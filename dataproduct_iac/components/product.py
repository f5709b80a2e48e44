"""``DataProduct``: validates a product against the program's depots and bundle, and publishes its
resolved descriptor (inputs and outputs with physical locations, ports, owner, collaborators, tags)
as a component output and, when ``settings.registry_bucket`` is set, as a JSON object in that bucket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..errors import ComponentArgsError
from ..manifests import Acl, DatasetAddress
from ..manifests import DataProduct as DataProductModel
from ..manifests.product import DatasetReference, V1AlphaData
from ..settings import StackSettings
from ..tags import product_ownership, resource_tags
from .bundle import Bundle
from .depot import Depot

TYPE = "dataproduct:index:DataProduct"


@dataclass
class DataProductArgs:
    product: DataProductModel
    settings: StackSettings
    depots: Mapping[str, Depot] = field(default_factory=dict)
    """Depot components of this program, by depot name."""
    bundle: Bundle | None = None
    stack_references: Mapping[str, pulumi.StackReference] = field(default_factory=dict)
    """Depots provided by another stack (depot name → that stack), for cross-stack inputs and outputs;
    the other stack must export ``depots`` as this program does."""


def registry_key(settings: StackSettings, product: str) -> str:
    """Where a product's descriptor lives in the registry bucket."""
    return f"data-products/{settings.project}/{settings.stack}/{product}.json"


class DataProduct(pulumi.ComponentResource):
    """A data product. Attributes: ``descriptor`` (``Output[dict]``), ``descriptor_json``,
    ``registry_object`` (``aws.s3.BucketObjectv2`` or ``None``)."""

    descriptor: pulumi.Output[dict[str, Any]]
    descriptor_json: pulumi.Output[str]

    def __init__(self, name: str, args: DataProductArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        model, settings = args.product, args.settings
        problems = _check(args)
        if problems:  # refuse before registering anything
            raise ComponentArgsError(f"data product {model.name!r}: " + "; ".join(problems))
        super().__init__(TYPE, name, None, opts)
        self.model = model
        used = sorted({ref.address.depot for ref in _dataset_refs(model) if ref.address.depot in args.depots})
        document: dict[str, Any] = {
            "name": model.name,
            "version": model.version,
            "title": model.data.meta.title,
            "description": model.description,
            "purpose": model.purpose,
            "owner": model.owner,
            "tags": list(model.tags),
            "collaborators": model.collaborator_names,
            "environment": settings.environment,
            "stack": f"{settings.project}/{settings.stack}",
            "bundle": model.bundle_name,
            "inputs": [_dataset(ref, args) for ref in model.inputs],
            "outputs": [_dataset(ref, args) for ref in model.outputs],
            "ports": {kind: [] for kind, _ in model.ports.all()},
        }
        for kind, port in model.ports.all():
            document["ports"][kind].append({"ref": port.ref, "refType": port.ref_type})
        data = model.data
        if isinstance(data, V1AlphaData):  # v1alpha's description of the product, when given
            if data.use_cases:
                document["useCases"] = list(data.use_cases)
            if data.domain:
                document["domain"] = data.domain
        if _holds_output(document):  # a location read through a stack reference
            self.descriptor = pulumi.Output.from_input(document)
            self.descriptor_json = pulumi.Output.json_dumps(self.descriptor, indent=2, sort_keys=True)
        else:
            # Known now: two Outputs instead of the SDK's one Output per nested value of the document.
            self.descriptor_json = pulumi.Output.from_input(json.dumps(document, indent=2, sort_keys=True))
            self.descriptor = self.descriptor_json.apply(json.loads)
        self.registry_object: aws.s3.BucketObjectv2 | None = None
        if settings.registry_bucket:
            owned = product_ownership(model, settings)
            warning = owned.warning(f"data product {model.name!r}")
            if warning:
                pulumi.log.warn(warning, resource=self)
            depends: list[pulumi.Resource] = [args.depots[d] for d in used]
            if args.bundle is not None:
                depends.append(args.bundle)
            self.registry_object = aws.s3.BucketObjectv2(
                f"{name}-descriptor",
                bucket=settings.registry_bucket,
                key=registry_key(settings, model.name),
                content=self.descriptor_json,
                content_type="application/json",
                tags=resource_tags(settings, owned, {}),
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
        self.register_outputs({"descriptor": self.descriptor})


def _holds_output(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, dict):
        return any(_holds_output(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_output(v) for v in value)
    return False


def _dataset_refs(model: DataProductModel) -> list[DatasetReference]:
    return [ref for ref in [*model.inputs, *model.outputs] if ref.ref_type != "external"]


def _check(args: DataProductArgs) -> list[str]:
    model = args.product
    problems: list[str] = []
    for direction, refs in (("input", model.inputs), ("output", model.outputs)):
        for ref in refs:
            if ref.ref_type == "external":
                continue
            depot_name = ref.address.depot
            if depot_name in args.stack_references:
                continue
            depot = args.depots.get(depot_name)
            if depot is None:
                problems.append(
                    f"{direction} {ref.ref} names depot {depot_name!r}, which is neither in this program "
                    "nor provided by a stack reference"
                )
            elif direction == "output" and Acl.READ_WRITE not in depot.acls:
                problems.append(
                    f"output {ref.ref} goes to depot {depot_name!r}, which has no read-write (acl rw) secret"
                )
    wanted = model.bundle_name
    if wanted and (args.bundle is None or args.bundle.model.name != wanted):
        given = f"bundle {args.bundle.model.name!r}" if args.bundle is not None else "no bundle"
        problems.append(f"it is built by bundle {wanted!r}, but {given} was given")
    return problems


def _dataset(ref: DatasetReference, args: DataProductArgs) -> dict[str, Any]:
    if ref.ref_type == "external":
        return {"ref": ref.ref, "refType": ref.ref_type}
    address: DatasetAddress = ref.address
    out: dict[str, Any] = {
        "ref": ref.ref,
        "refType": ref.ref_type,
        "address": address.uri,
        "depot": address.depot,
        "collection": address.collection,
        "dataset": address.dataset,
    }
    depot = args.depots.get(address.depot)
    if depot is not None:
        out["depotType"] = depot.depot_type
        if depot.location is not None:
            parts = [p for p in (address.collection, address.dataset) if p]
            out["location"] = "/".join([depot.location, *parts])
        database = depot.glue_database_names.get(address.collection or "")
        if database is not None:
            out["glueDatabase"] = database
        elif depot.connection.database:
            out["database"] = depot.connection.database
    else:
        reference = args.stack_references[address.depot]
        out["stack"] = reference.name
        depot_name = address.depot

        def location(depots: Any) -> Any:
            return (depots or {}).get(depot_name, {}).get("location")

        out["location"] = reference.get_output("depots").apply(location)
    return out
