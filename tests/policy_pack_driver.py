"""Run inside .venv-policy by tests/test_policy_pack.py: feed crafted resources to each CrossGuard policy.

Reads a JSON request on stdin: {"cases": [{"resources": [registration...], "config": {policy: {...}}}]}
where a registration has type, name, urn, parent, depends_on, props, protect. Writes
{"policies": [{"name", "kind", "enforcement"}], "results": [[{"policy", "urn", "message"}...] per case]}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "policies"), str(ROOT)]

from dataproduct_policies import build_policies  # noqa: E402
from pulumi_policy import (  # noqa: E402
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy  # noqa: E402


def options(item: dict) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        bool(item.get("protect")), [], None, [], PolicyCustomTimeouts(0, 0, 0), [], item.get("parent")
    )


def run_case(policies: list, items: list[dict], config: dict) -> list[dict]:
    violations: list[dict] = []
    for policy in policies:

        def report(message: str, urn: str | None = None, _name: str = policy.name, _urn: str = "") -> None:
            violations.append({"policy": _name, "urn": urn or _urn, "message": message})

        if isinstance(policy, ResourceValidationPolicy):
            for item in items:
                args = ResourceValidationArgs(
                    item["type"],
                    unknown_checking_proxy(item["props"]),
                    item["urn"],
                    item["name"],
                    options(item),
                    None,
                    config.get(policy.name),
                )
                policy.validate(
                    args,
                    lambda message, urn=None, _i=item, _p=policy.name: violations.append(
                        {"policy": _p, "urn": urn or _i["urn"], "message": message}
                    ),
                )
        else:
            resources = {
                item["urn"]: PolicyResource(
                    item["type"],
                    unknown_checking_proxy(item["props"]),
                    item["urn"],
                    item["name"],
                    options(item),
                    None,
                    None,
                    [],
                    {},
                )
                for item in items
            }
            ordered = [resources[item["urn"]] for item in items]
            for item, resource in zip(items, ordered, strict=True):
                resource.parent = resources.get(item.get("parent") or "")
                resource.dependencies = [resources[d] for d in item.get("depends_on", []) if d in resources]
            if len(resources) < len(items):  # duplicate URNs: give the stack rule every registration
                ordered = [
                    PolicyResource(i["type"], i["props"], i["urn"], i["name"], options(i), None, None, [], {})
                    for i in items
                ]
            policy.validate(StackValidationArgs(ordered, config.get(policy.name)), report)
    return violations


def main() -> None:
    request = json.load(sys.stdin)
    policies = build_policies()
    results = [run_case(policies, case["resources"], case.get("config", {})) for case in request["cases"]]
    json.dump(
        {
            "policies": [
                {
                    "name": p.name,
                    "kind": "resource" if isinstance(p, ResourceValidationPolicy) else "stack",
                    "enforcement": p.enforcement_level.value if p.enforcement_level else None,
                }
                for p in policies
            ],
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
