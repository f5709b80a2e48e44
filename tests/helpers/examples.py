"""What the examples need from a stack to run on the mock engine."""

PYTHON_PROGRAM_CONFIG = {
    "python-program:salesAccessKeyId": "AKIAEXAMPLEKEYID",
    "python-program:salesSecretAccessKey": "example-only-secret-access-key",
}
"""What ``pulumi config set --secret`` gives examples/python-program."""
