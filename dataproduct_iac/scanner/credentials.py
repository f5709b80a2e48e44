"""Which keys of a depot's instance secret hold the AWS credentials (spellings: manifests.secret_keys).

Shared by the ``scan`` command (a boto3 session from the read secret) and the ``ScannerJob``
component (a Kubernetes Secret whose keys become ``AWS_*`` environment variables). No values are
ever logged: callers get the key names and pass the values straight on.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..manifests.depot import Depot
from ..manifests.instance_secret import InstanceSecret
from ..manifests.secret_keys import find_key

ENV_OF = {
    "AWS_ACCESS_KEY_ID": "aws_access_key",
    "AWS_SECRET_ACCESS_KEY": "aws_secret_key",
    "AWS_SESSION_TOKEN": "aws_session_token",
}
"""``AWS_*`` environment variable → the credential role (manifests.secret_keys) it takes."""


def credential_keys(keys: Mapping[str, object] | list[str]) -> dict[str, str]:
    """``AWS_*`` environment variable → the secret's key that holds it (first spelling found).

    Empty unless both an access key and a secret key are present.
    """
    out: dict[str, str] = {}
    for env, role in ENV_OF.items():
        key = find_key(keys, role)
        if key is not None:
            out[env] = key
    if "AWS_ACCESS_KEY_ID" not in out or "AWS_SECRET_ACCESS_KEY" not in out:
        return {}
    return out


def depot_credential_keys(depot: Depot, secret: InstanceSecret) -> dict[str, str]:
    """:func:`credential_keys` of the ``data`` keys of ``secret`` that ``depot`` may use
    (``Depot.usable_keys``: a reference that lists ``keys`` gives only those)."""
    data = secret.instance_secret.data
    return credential_keys([key for key in depot.usable_keys(secret) if key in data])
