"""Entry program of the Pulumi project (``Pulumi.yaml``: ``main: stacks/``).

It reads the ``dataproduct:`` stack config (see ``dataproduct_iac.program``), loads and resolves the
manifests, and builds the components. ``dataproduct plan`` runs the same program offline.
"""

import gc
from pathlib import Path

from dataproduct_iac.program import main

# The program's objects (manifests, components, the SDK's futures and Outputs per resource) nearly
# all live until it ends, so the cyclic collector would rescan a growing heap for little: off for
# this short-lived process (at 800 data products, half the CPU time for 5 % more memory; see
# benchmarks/results.md). Reference counting frees everything else as usual.
gc.disable()
main(root=Path(__file__).resolve().parent.parent)
