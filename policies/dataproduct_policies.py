"""The pack's policies: thin CrossGuard wrappers around :mod:`dataproduct_iac.policy.resources`.

Every rule of the pure validators becomes one mandatory policy: each resource rule a
``ResourceValidationPolicy``, each stack rule a ``StackValidationPolicy``. The arguments the engine
passes are converted into :class:`~dataproduct_iac.policy.resources.Registration` objects (unknown
preview values become the engine's unknown marker, which the rules skip; secret values are never
read).

Policy configuration (``pulumi preview --policy-pack policies --policy-pack-config FILE``):
``data-protected`` takes ``allowUnprotected`` (the explicit per-stack opt-out), and
``data-product-tags`` takes ``requiredTags`` (default ``["dataproduct:owner"]``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # run from the repository without installing dataproduct-iac
    sys.path.insert(0, str(_ROOT))

from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.secret import Secret  # noqa: E402

from dataproduct_iac.policy.resources import (  # noqa: E402
    RESOURCE_RULES,
    STACK_RULES,
    UNKNOWN,
    Config,
    Registration,
    ResourceRule,
    StackRule,
)

_UNKNOWN_MARKERS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


def plain(value: Any) -> Any:
    """Unwrap pulumi-policy's unknown-checking and secret proxies into plain dicts and lists."""
    if isinstance(value, Secret):
        return "[secret]"
    if type(value).__name__ in ("_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy"):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in value}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str) and value in _UNKNOWN_MARKERS:
        return UNKNOWN
    return value


def _config(raw: Mapping[str, Any], provider_props: Mapping[str, Any] | None = None) -> Config:
    default_tags = plain((provider_props or {}).get("defaultTags") or {})
    tags = default_tags.get("tags") if isinstance(default_tags, Mapping) else None
    required = raw.get("requiredTags")
    return Config(
        allow_unprotected=bool(raw.get("allowUnprotected", False)),
        required_tags=tuple(required) if isinstance(required, list) else Config().required_tags,
        default_tags=dict(tags) if isinstance(tags, Mapping) else {},
    )


def registration_from_args(args: ResourceValidationArgs) -> Registration:
    return Registration(
        type=args.resource_type,
        name=args.name,
        props=plain(args.props),
        urn=args.urn,
        parent=getattr(args.opts, "parent", None),
        protect=bool(args.opts.protect),
    )


def _resource_validator(rule: ResourceRule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        provider = plain(args.provider.props) if args.provider is not None else None
        config = _config(args.get_config(), provider)
        for message in rule.check(registration_from_args(args), config):
            report_violation(message, None)

    return validate


def _stack_validator(rule: StackRule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        registrations = [
            Registration(
                type=r.resource_type,
                name=r.name,
                props=plain(r.props),
                urn=r.urn,
                parent=r.parent.urn if r.parent is not None else None,
                depends_on=tuple(
                    [d.urn for d in r.dependencies]
                    + [d.urn for deps in r.property_dependencies.values() for d in deps]
                ),
                protect=bool(r.opts.protect),
            )
            for r in args.resources
        ]
        for urn, message in rule.check(registrations, _config(args.get_config())):
            report_violation(message, urn or None)

    return validate


_CONFIG_SCHEMAS = {
    "data-protected": PolicyConfigSchema(
        properties={
            "allowUnprotected": {
                "type": "boolean",
                "default": False,
                "description": "The explicit opt-out for a stack whose data may be destroyed (dev, tests).",
            }
        }
    ),
    "data-product-tags": PolicyConfigSchema(
        properties={
            "requiredTags": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["dataproduct:owner"],
                "description": "Tag keys every data product resource must carry.",
            }
        }
    ),
}


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """One mandatory policy per rule of :mod:`dataproduct_iac.policy.resources`."""
    policies: list[ResourceValidationPolicy | StackValidationPolicy] = [
        ResourceValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=_resource_validator(rule),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=_CONFIG_SCHEMAS.get(rule.name),
        )
        for rule in RESOURCE_RULES
    ]
    policies.extend(
        StackValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=_stack_validator(rule),
            enforcement_level=EnforcementLevel.MANDATORY,
        )
        for rule in STACK_RULES
    )
    return policies
