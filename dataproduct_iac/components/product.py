"""``DataProduct``: validates a product against the depots it reads and writes, and publishes its
resolved descriptor (inputs and outputs with physical locations, ports, owner, collaborators, tags)
as a component output and, when a registry bucket is given, as a JSON object in that bucket.

``DataProductArgs`` describes the product and the depots it uses (``DepotRef.of(depot)`` for a
:class:`~dataproduct_iac.components.Depot` of the same program, whose outputs carry the dependency on
it); ``DataProductArgs.from_manifest`` fills it from a data product manifest.
"""

# No ``from __future__ import annotations`` here: the SDK's component analyzer reads the annotations
# of the args and the component at run time.
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..errors import ComponentArgsError
from ..manifests import Acl, parse_address
from ..manifests import DataProduct as DataProductModel
from ..manifests.product import Reference, V1AlphaData
from ..settings import StackSettings
from ..tags import product_ownership, resource_tags
from .bundle import Bundle
from .depot import Depot
from .options import coerce_args

TYPE = "dataproduct:index:DataProduct"
EXTERNAL = "external"
DATAOS = "dataos"


@dataclass
class DatasetRef:
    """An input, output or port: a ``ref`` (``dataset:<depot>:<collection>:<dataset>``,
    ``dataos://<depot>:<collection>/<dataset>``, or any text when ``ref_type`` is ``external``)."""

    ref: str
    ref_type: str | None = None
    """``dataos`` (default), ``dataos_address`` or ``external``."""


@dataclass
class DepotRef:
    """What a data product needs to know about a depot it reads or writes."""

    depot_type: pulumi.Input[str] | None = None
    location: pulumi.Input[str | None] | None = None
    """``s3://<bucket>/<prefix>`` of an S3 depot (a dataset's location appends collection and dataset)."""
    glue_database_names: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Collection → Glue database name."""
    database: pulumi.Input[str] | None = None
    """The database of a non-S3 depot (shown when no Glue database matches)."""
    writable: bool | None = None
    """The program holds read-write credentials for it, so it may take outputs (default true)."""
    stack: pulumi.Input[str] | None = None
    """The stack that provides this depot, when it is not in this program (``location`` from there)."""

    @classmethod
    def of(cls, depot: Depot) -> "DepotRef":
        """A :class:`Depot` of this program: its outputs, so that the descriptor waits for the depot."""
        connection = depot.connection
        return cls(
            depot_type=depot.depot_type,
            location=depot.location,
            glue_database_names=depot.glue_database_names,
            database=connection.database if connection is not None else None,
            writable=Acl.READ_WRITE in depot.acls,
        )

    @classmethod
    def from_stack(cls, depot: str, reference: pulumi.StackReference) -> "DepotRef":
        """A depot another stack provides (it exports ``depots`` as the stack program does)."""

        def location(depots: Any) -> Any:
            return (depots or {}).get(depot, {}).get("location")

        return cls(location=reference.get_output("depots").apply(location), stack=reference.name)


@dataclass
class DataProductArgs:
    """What a :class:`DataProduct` is made from."""

    inputs: Sequence[DatasetRef] | None = None
    outputs: Sequence[DatasetRef] | None = None
    depots: Mapping[str, DepotRef] | None = None
    """Every depot the inputs and outputs address, by depot name."""
    product_name: str | None = None
    """Default: the component's name."""
    version: str | None = None
    """Default ``v1beta``."""
    title: str | None = None
    description: str | None = None
    purpose: str | None = None
    owner: str | None = None
    tags: Sequence[str] | None = None
    collaborators: Sequence[str] | None = None
    bundle: str | None = None
    """The bundle that builds the product (shown in the descriptor)."""
    use_cases: Sequence[str] | None = None
    domain: str | None = None
    ports: Mapping[str, Sequence[DatasetRef]] | None = None
    """Port kind (``lens``, ``talos``, ...) → references."""
    environment: str | None = None
    """Default: the stack name."""
    stack: str | None = None
    """``<project>/<stack>`` in the descriptor; default: this program's."""
    registry_bucket: pulumi.Input[str] | None = None
    """Bucket to publish the descriptor to (none: not published)."""
    registry_key: pulumi.Input[str] | None = None
    """Object key of the published descriptor; default ``data-products/<product>.json``."""
    registry_tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    _warnings: tuple[str, ...] = ()
    _after: tuple[pulumi.Resource, ...] = ()
    """What the published descriptor waits for (from :meth:`from_manifest`: the product's bundle and
    the depots it addresses), besides what its depots' outputs already imply."""

    @classmethod
    def from_manifest(
        cls,
        product: DataProductModel,
        settings: StackSettings,
        *,
        depots: Mapping[str, Depot] | None = None,
        bundle: Bundle | None = None,
        stack_references: Mapping[str, pulumi.StackReference] | None = None,
    ) -> "DataProductArgs":
        """Args for a data product manifest. ``depots``: the program's Depot components by name;
        ``stack_references``: depots provided by other stacks. Raises :class:`ComponentArgsError` when
        the product does not fit them (before anything is registered)."""
        wanted = product.bundle_name
        given = bundle.bundle_name if bundle is not None else None
        if wanted and given != wanted:
            shown = f"bundle {given!r}" if given is not None else "no bundle"
            raise ComponentArgsError(
                f"data product {product.name!r}: it is built by bundle {wanted!r}, but {shown} was given"
            )
        refs: dict[str, DepotRef] = {name: DepotRef.of(depot) for name, depot in (depots or {}).items()}
        for name, reference in (stack_references or {}).items():
            refs.setdefault(name, DepotRef.from_stack(name, reference))
        ports: dict[str, list[DatasetRef]] = {}
        for kind, port in product.ports.all():
            ports.setdefault(kind, []).append(_ref(port))
        used = sorted(
            {
                parse_address(r.ref).depot
                for r in [*product.inputs, *product.outputs]
                if r.ref_type != EXTERNAL
            }
        )
        after: list[pulumi.Resource] = [depots[d] for d in used if depots and d in depots]
        if bundle is not None:
            after.append(bundle)
        registry_tags = None
        warnings: tuple[str, ...] = ()
        if settings.registry_bucket:
            owned = product_ownership(product, settings)
            warning = owned.warning(f"data product {product.name!r}")
            warnings = (warning,) if warning else ()
            registry_tags = resource_tags(settings, owned, {})
        data = product.data
        alpha = data if isinstance(data, V1AlphaData) else None  # v1alpha describes the product further
        return cls(
            use_cases=list(alpha.use_cases) if alpha is not None else None,
            domain=alpha.domain if alpha is not None else None,
            inputs=[_ref(r) for r in product.inputs],
            outputs=[_ref(r) for r in product.outputs],
            depots=refs,
            product_name=product.name,
            version=product.version,
            title=product.data.meta.title,
            description=product.description,
            purpose=product.purpose,
            owner=product.owner,
            tags=list(product.tags),
            collaborators=product.collaborator_names,
            bundle=wanted,
            ports=ports,
            environment=settings.environment,
            stack=f"{settings.project}/{settings.stack}",
            registry_bucket=settings.registry_bucket,
            registry_key=registry_key(settings, product.name) if settings.registry_bucket else None,
            registry_tags=registry_tags,
            _warnings=warnings,
            _after=tuple(after),
        )


def _ref(reference: Reference) -> DatasetRef:
    return DatasetRef(ref=reference.ref, ref_type=reference.ref_type)


def registry_key(settings: StackSettings, product: str) -> str:
    """Where a product's descriptor lives in the registry bucket."""
    return f"data-products/{settings.project}/{settings.stack}/{product}.json"


class DataProduct(pulumi.ComponentResource):
    """A data product: its inputs and outputs checked against the depots, its resolved descriptor
    published as an output (and to the registry bucket, when given)."""

    descriptor: pulumi.Output[dict[str, Any]]
    """The resolved descriptor."""
    descriptor_json: pulumi.Output[str]
    """The descriptor as JSON (indented, keys sorted): what the registry object holds."""

    def __init__(self, name: str, args: DataProductArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(DataProductArgs, args)  # a mapping when another Pulumi language constructs it
        product = args.product_name or name
        problems = _check(args)
        if problems:  # refuse before registering anything
            raise ComponentArgsError(f"data product {product!r}: " + "; ".join(problems))
        super().__init__(TYPE, name, None, opts)
        self.product_name = product
        for warning in args._warnings:
            pulumi.log.warn(warning, resource=self)
        document: dict[str, Any] = {
            "name": product,
            "version": args.version or "v1beta",
            "title": args.title,
            "description": args.description,
            "purpose": args.purpose,
            "owner": args.owner,
            "tags": list(args.tags or ()),
            "collaborators": list(args.collaborators or ()),
            "environment": args.environment or pulumi.get_stack(),
            "stack": args.stack or f"{pulumi.get_project()}/{pulumi.get_stack()}",
            "bundle": args.bundle,
            "inputs": [_dataset(ref, args) for ref in args.inputs or ()],
            "outputs": [_dataset(ref, args) for ref in args.outputs or ()],
            "ports": {
                kind: [{"ref": port.ref, "refType": port.ref_type or DATAOS} for port in ports]
                for kind, ports in (args.ports or {}).items()
            },
        }
        if args.use_cases:
            document["useCases"] = list(args.use_cases)
        if args.domain:
            document["domain"] = args.domain
        self.descriptor_json = pulumi.Output.from_input(document).apply(
            lambda resolved: json.dumps(resolved, indent=2, sort_keys=True)
        )
        self.descriptor = self.descriptor_json.apply(json.loads)
        self.registry_object: aws.s3.BucketObjectv2 | None = None
        if args.registry_bucket is not None:
            self.registry_object = aws.s3.BucketObjectv2(
                f"{name}-descriptor",
                bucket=args.registry_bucket,
                key=args.registry_key if args.registry_key is not None else f"data-products/{product}.json",
                content=self.descriptor_json,
                content_type="application/json",
                tags=args.registry_tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args._after) or None),
            )
        self.register_outputs({"descriptor": self.descriptor, "descriptorJson": self.descriptor_json})


def _check(args: DataProductArgs) -> list[str]:
    problems: list[str] = []
    for direction, refs in (("input", args.inputs or ()), ("output", args.outputs or ())):
        for ref in refs:
            if ref.ref_type == EXTERNAL:
                continue
            try:
                depot_name = parse_address(ref.ref).depot
            except ValueError as exc:
                problems.append(f"{direction} {ref.ref}: {exc}")
                continue
            depot = (args.depots or {}).get(depot_name)
            if depot is None:
                problems.append(
                    f"{direction} {ref.ref} names depot {depot_name!r}, which is neither in this program "
                    "nor provided by a stack reference"
                )
            elif direction == "output" and depot.stack is None and depot.writable is False:
                problems.append(
                    f"output {ref.ref} goes to depot {depot_name!r}, which has no read-write (acl rw) secret"
                )
    return problems


def _dataset(ref: DatasetRef, args: DataProductArgs) -> Any:
    """One input or output of the descriptor (an Output when it holds a depot's output)."""
    if ref.ref_type == EXTERNAL:
        return {"ref": ref.ref, "refType": ref.ref_type}
    address = parse_address(ref.ref)
    out: dict[str, Any] = {
        "ref": ref.ref,
        "refType": ref.ref_type or DATAOS,
        "address": address.uri,
        "depot": address.depot,
        "collection": address.collection,
        "dataset": address.dataset,
    }
    depot = (args.depots or {})[address.depot]
    if depot.stack is not None:
        out["stack"] = depot.stack
        out["location"] = depot.location
        return out
    parts = [p for p in (address.collection, address.dataset) if p]

    def resolve(values: list[Any]) -> dict[str, Any]:
        depot_type, location, databases, database = values
        entry = dict(out)
        if depot_type is not None:
            entry["depotType"] = depot_type
        if location is not None:
            entry["location"] = "/".join([location, *parts])
        glue = (databases or {}).get(address.collection or "")
        if glue is not None:
            entry["glueDatabase"] = glue
        elif database:
            entry["database"] = database
        return entry

    return pulumi.Output.all(
        depot.depot_type, depot.location, depot.glue_database_names, depot.database
    ).apply(resolve)
