"""Pure safety checks shared by the tests and the CrossGuard policy pack (``policies/``).

Nothing here imports pulumi or pulumi-policy: the validators take plain dicts (Kubernetes
objects, IAM policy documents, resource registrations with camelCase properties, as the Pulumi
engine and its mocks show them) and return violations.

- :mod:`.pod_security`: Kubernetes Pod Security Standards "restricted" + resource requests/limits.
- :mod:`.iam`: an IAM policy evaluator and least-privilege checks for depot and secret policies.
- :mod:`.resources`: per-resource and per-stack rules over registrations (buckets, secrets, Glue,
  Kubernetes workloads, tags).
"""

from __future__ import annotations

from .pod_security import Violation, check_pod_security, check_resources, pod_specs

__all__ = ["Violation", "check_pod_security", "check_resources", "pod_specs"]
