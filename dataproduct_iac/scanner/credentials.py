"""Which keys of a depot's instance secret hold the AWS credentials (DataOS spells them several ways).

Shared by the ``scan`` command (a boto3 session from the read secret) and the ``ScannerJob``
component (a Kubernetes Secret whose keys become ``AWS_*`` environment variables). No values are
ever logged: callers get the key names and pass the values straight on.
"""

from __future__ import annotations

from collections.abc import Mapping

ACCESS_KEY_NAMES = ("awsaccesskeyid", "accesskeyid", "aws_access_key_id", "access_key_id", "accesskey")
SECRET_KEY_NAMES = ("awssecretaccesskey", "secretkey", "aws_secret_access_key", "secret_access_key")
SESSION_TOKEN_NAMES = ("awssessiontoken", "sessiontoken", "aws_session_token", "session_token")

ENV_OF = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY_NAMES,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY_NAMES,
    "AWS_SESSION_TOKEN": SESSION_TOKEN_NAMES,
}


def credential_keys(keys: Mapping[str, object] | list[str]) -> dict[str, str]:
    """``AWS_*`` environment variable → the secret's key that holds it (first spelling found).

    Empty unless both an access key and a secret key are present.
    """
    lowered = {k.lower(): k for k in keys}
    out: dict[str, str] = {}
    for env, names in ENV_OF.items():
        for name in names:
            if name in lowered:
                out[env] = lowered[name]
                break
    if "AWS_ACCESS_KEY_ID" not in out or "AWS_SECRET_ACCESS_KEY" not in out:
        return {}
    return out
