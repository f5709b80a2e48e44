"""Entry point the Pulumi CLI runs for ``--policy-pack policies``: serve the pack (blocks).

The policies themselves are built in :mod:`dataproduct_policies`, importable without starting
the gRPC server, so tests can call each policy's ``validate``.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _path in (_HERE, _HERE.parent):  # the pack's modules, and the repository (dataproduct_iac)
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from dataproduct_policies import build_policies  # noqa: E402
from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

PolicyPack(
    name="dataproduct-iac",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
    description="Safety rules for data product infrastructure built by dataproduct-iac.",
)
