"""The package's version: one home, read by the CLI, the scanner's Glue parameters and packaging."""

__version__ = "0.1.0"
