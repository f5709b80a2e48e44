"""Benchmarks for dataproduct-iac (run with `make bench` or `python -m benchmarks`)."""
