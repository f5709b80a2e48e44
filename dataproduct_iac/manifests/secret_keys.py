"""Which key of an instance secret holds which credential: DataOS spells them several ways.

One table for everything that reads credentials out of a depot's secrets (Trino catalogs, the
scanner). Keys are compared in lower case without '-', '_' and '.': ``aws_access_key_id``,
``awsaccesskeyid`` and ``AWS-Access-Key-Id`` are one key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SECRET_KEY_ALIASES: dict[str, tuple[str, ...]] = {
    "user": ("username", "user", "connectionuser", "login"),
    "password": ("password", "pass", "connectionpassword"),
    "aws_access_key": ("awsaccesskeyid", "accesskeyid", "awsaccesskey", "accesskey"),
    "aws_secret_key": ("awssecretaccesskey", "secretaccesskey", "awssecretkey", "secretkey"),
    "aws_session_token": ("awssessiontoken", "sessiontoken"),
    "azure_account_key": ("azurestorageaccountkey", "accountkey"),
    "gcp_project": ("projectid", "project"),
    "gcs_json_key": ("gcskeyjson", "jsonkeyfile", "jsonkey"),
    "bigquery_json_key": ("jsonkeyfile", "gcskeyjson", "jsonkey"),
    "kafka_security_protocol": ("securityprotocol",),
    "kafka_sasl_mechanism": ("saslmechanism",),
}
"""Credential role → the key spellings that hold it, most common first (normalised, see module doc)."""


def normal_key(key: str) -> str:
    return re.sub(r"[-_.]", "", key.lower())


def find_key(keys: Iterable[str], role: str) -> str | None:
    """The key of ``keys`` (as written) that holds ``role``, by the first spelling that matches."""
    by_normal: dict[str, str] = {}
    for key in keys:
        by_normal.setdefault(normal_key(key), key)
    for alias in SECRET_KEY_ALIASES[role]:
        if alias in by_normal:
            return by_normal[alias]
    return None
