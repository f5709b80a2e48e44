"""Entry program of the Pulumi project (``Pulumi.yaml``: ``main: stacks/``).

It reads the ``dataproduct:`` stack config (see ``dataproduct_iac.program``), loads and resolves the
manifests, and builds the components. ``dataproduct plan`` runs the same program offline.
"""

from pathlib import Path

from dataproduct_iac.gc_policy import off_for_this_process
from dataproduct_iac.program import main

off_for_this_process()  # see dataproduct_iac/gc_policy.py
main(root=Path(__file__).resolve().parent.parent)
