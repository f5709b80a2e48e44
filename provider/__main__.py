"""Entry point of the component provider plugin (PulumiPlugin.yaml): hosts every dataproduct-iac
component for other Pulumi languages."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: dataproduct_iac

from pulumi.provider.experimental import component_provider_host

from dataproduct_iac.components import COMPONENTS, PACKAGE
from dataproduct_iac.version import __version__

if __name__ == "__main__":
    component_provider_host(list(COMPONENTS), PACKAGE, version=__version__)
