"""An evaluator for IAM policy documents and least-privilege checks for depot and secret policies.

:func:`is_allowed` answers "does this document allow action A on resource R (with these condition
keys)?" the way IAM does for one identity-based document: an explicit ``Deny`` wins, otherwise an
``Allow`` whose action, resource and conditions all match allows, otherwise it is an implicit
deny. Wildcards ``*`` and ``?`` match in actions (case-insensitively) and resources
(case-sensitively); ``NotAction``/``NotResource`` and the common condition operators are
supported (String*, Arn*, Bool, Null, Numeric*, ``...IfExists``, ``ForAnyValue:``/``ForAllValues:``).
An operator it does not know raises :class:`UnsupportedCondition` rather than guessing.

The checks (:func:`lint_document`, :func:`check_depot_policy`, :func:`check_secret_read_policy`)
combine a syntactic review (no ``*`` action, no ``*`` resource, only the expected actions) with
probes through the evaluator (reads under ``bucket/relativePath`` allowed; anything outside it,
writes in a read policy, other buckets and other secrets denied).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

READ_ACTIONS = frozenset({"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"})
"""What a depot's read policy may grant."""
WRITE_ACTIONS = frozenset(
    {
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
        "s3:ListBucketMultipartUploads",
    }
)
"""What a depot's read-write policy may grant on top of :data:`READ_ACTIONS`."""
SECRET_READ_ACTIONS = frozenset({"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"})

Context = Mapping[str, str | Sequence[str]]


class UnsupportedCondition(ValueError):
    """A condition operator this evaluator does not implement (never silently ignored)."""


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]]
    principal: Any
    sid: str | None

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"


class PolicyDocument:
    """A parsed IAM policy document (identity- or resource-based)."""

    def __init__(self, document: str | Mapping[str, Any]) -> None:
        raw = json.loads(document) if isinstance(document, str) else document
        if not isinstance(raw, Mapping):
            raise ValueError("an IAM policy document must be a JSON object")
        statements = raw.get("Statement", [])
        if isinstance(statements, Mapping):
            statements = [statements]
        if not isinstance(statements, list):
            raise ValueError("Statement must be an object or a list of objects")
        self.version = raw.get("Version")
        self.statements = [_statement(s) for s in statements]

    def evaluate(self, action: str, resource: str, context: Context | None = None) -> str:
        """``"Deny"`` (explicit), ``"Allow"`` or ``"ImplicitDeny"``."""
        context = {k.lower(): v for k, v in (context or {}).items()}
        allowed = False
        for statement in self.statements:
            if not _applies(statement, action, resource, context):
                continue
            if statement.effect == "Deny":
                return "Deny"
            allowed = True
        return "Allow" if allowed else "ImplicitDeny"

    def is_allowed(self, action: str, resource: str, context: Context | None = None) -> bool:
        return self.evaluate(action, resource, context) == "Allow"


def is_allowed(
    document: str | Mapping[str, Any] | PolicyDocument,
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    """Is ``action`` on ``resource`` allowed by this one document?"""
    doc = document if isinstance(document, PolicyDocument) else PolicyDocument(document)
    return doc.is_allowed(action, resource, context)


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM-style matching: ``*`` any run of characters (including ``/`` and ``:``), ``?`` one."""
    return _compiled(pattern, case_sensitive).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _compiled(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(regex, 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def _statement(raw: Any) -> Statement:
    if not isinstance(raw, Mapping):
        raise ValueError("each Statement must be an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise ValueError(f"Effect must be Allow or Deny, not {effect!r}")
    conditions = raw.get("Condition") or {}
    if not isinstance(conditions, Mapping):
        raise ValueError("Condition must be an object")
    return Statement(
        effect=effect,
        actions=_strings(raw.get("Action")),
        not_actions=_strings(raw.get("NotAction")),
        resources=_strings(raw.get("Resource")),
        not_resources=_strings(raw.get("NotResource")),
        conditions=conditions,
        principal=raw.get("Principal"),
        sid=raw.get("Sid"),
    )


def _applies(statement: Statement, action: str, resource: str, context: Mapping[str, Any]) -> bool:
    if statement.actions:
        if not any(wildcard_match(p, action, case_sensitive=False) for p in statement.actions):
            return False
    elif statement.not_actions:
        if any(wildcard_match(p, action, case_sensitive=False) for p in statement.not_actions):
            return False
    else:
        return False
    if statement.resources:
        if not any(wildcard_match(p, resource) for p in statement.resources):
            return False
    elif statement.not_resources:
        if any(wildcard_match(p, resource) for p in statement.not_resources):
            return False
    else:
        return False  # a statement without Resource or NotResource matches nothing
    return all(
        _condition(operator, key, expected, context)
        for operator, block in statement.conditions.items()
        for key, expected in (block.items() if isinstance(block, Mapping) else [])
    )


_STRING_OPS = {
    "StringEquals": lambda e, a: e == a,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": lambda e, a: wildcard_match(e, a),
    "ArnEquals": lambda e, a: e == a,
    "ArnLike": lambda e, a: wildcard_match(e, a),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_NUMERIC_OPS = {
    "NumericEquals": lambda e, a: a == e,
    "NumericNotEquals": lambda e, a: a != e,
    "NumericLessThan": lambda e, a: a < e,
    "NumericLessThanEquals": lambda e, a: a <= e,
    "NumericGreaterThan": lambda e, a: a > e,
    "NumericGreaterThanEquals": lambda e, a: a >= e,
}


def _condition(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedCondition(f"condition set operator {qualifier!r} is not supported")
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    expected_values = [_text(v) for v in (expected if isinstance(expected, list) else [expected])]
    present = key.lower() in context
    raw_actual = context.get(key.lower())
    actual_values = [_text(v) for v in (raw_actual if isinstance(raw_actual, list | tuple) else [raw_actual])]

    if operator == "Null":
        wants_absent = expected_values[0].lower() == "true"
        return (not present) == wants_absent
    if not present:
        if if_exists or qualifier == "ForAllValues":
            return True
        return operator in _NEGATED or operator == "NumericNotEquals"

    def one(actual: str) -> bool:
        if operator in _STRING_OPS:
            return any(_STRING_OPS[operator](e, actual) for e in expected_values)
        if operator in _NEGATED:
            return not any(_STRING_OPS[_NEGATED[operator]](e, actual) for e in expected_values)
        if operator == "Bool":
            return any(e.lower() == actual.lower() for e in expected_values)
        if operator in _NUMERIC_OPS:
            try:
                number = float(actual)
                return any(_NUMERIC_OPS[operator](float(e), number) for e in expected_values)
            except ValueError:
                return False
        raise UnsupportedCondition(f"condition operator {operator!r} is not supported")

    if qualifier == "ForAllValues":
        return all(one(a) for a in actual_values)
    return any(one(a) for a in actual_values)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- least privilege ------------------------------------------------------------------------------


def lint_document(document: str | Mapping[str, Any] | PolicyDocument) -> list[str]:
    """Generic least-privilege problems of the ``Allow`` statements of a document."""
    doc = document if isinstance(document, PolicyDocument) else PolicyDocument(document)
    problems: list[str] = []
    for index, statement in enumerate(doc.statements):
        if not statement.allows:
            continue
        where = f"Statement[{index}]" + (f" ({statement.sid})" if statement.sid else "")
        if statement.not_actions:
            problems.append(f"{where}: Allow with NotAction grants everything else")
        if statement.not_resources:
            problems.append(f"{where}: Allow with NotResource grants everything else")
        for action in statement.actions:
            service, _, name = action.partition(":")
            if action == "*" or name == "*" or service == "*":
                problems.append(f"{where}: wildcard action {action!r}")
        for resource in statement.resources:
            if resource == "*" or re.fullmatch(r"arn:[^:]*:[^:]*:[^:]*:[^:]*:\*", resource):
                problems.append(f"{where}: wildcard resource {resource!r}")
            elif re.fullmatch(r"arn:[^:]+:s3:::\*(/\*)?", resource):
                problems.append(f"{where}: every bucket {resource!r}")
    return problems


def _prefix_of(relative_path: str | None) -> str:
    path = (relative_path or "").strip("/")
    return f"{path}/" if path else ""


def check_depot_policy(
    document: str | Mapping[str, Any] | PolicyDocument,
    *,
    bucket: str,
    relative_path: str | None,
    write: bool,
    secret_arns: Iterable[str] = (),
    extra_actions: Iterable[str] = (),
    partition: str = "aws",
) -> list[str]:
    """Problems with a depot's read (``write=False``) or read-write policy document.

    Allowed: reads and listing under ``bucket/relativePath`` (listing only with an ``s3:prefix``
    inside it), plus writes and deletes there for ``write=True``, plus reading the given secrets.
    """
    doc = document if isinstance(document, PolicyDocument) else PolicyDocument(document)
    problems = lint_document(doc)
    allowed = set(READ_ACTIONS) | (set(WRITE_ACTIONS) if write else set()) | set(extra_actions)
    secret_arns = list(secret_arns)
    if secret_arns:
        allowed |= SECRET_READ_ACTIONS
    allowed_lower = {a.lower() for a in allowed}
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    prefix = _prefix_of(relative_path)
    for index, statement in enumerate(doc.statements):
        if not statement.allows:
            continue
        for action in statement.actions:
            if action.lower() not in allowed_lower:
                problems.append(f"Statement[{index}]: action {action!r} is not needed by this depot")
        for resource in statement.resources:
            in_scope = (
                resource == bucket_arn
                or resource.startswith(f"{bucket_arn}/{prefix}")
                or resource in secret_arns
                or _is_secret_arn_pattern(resource, secret_arns)
            )
            if not in_scope:
                problems.append(f"Statement[{index}]: resource {resource!r} is outside {bucket}/{prefix}")

    def expect(allowed_: bool, action: str, resource: str, context: Context | None = None) -> None:
        got = doc.is_allowed(action, resource, context)
        if got != allowed_:
            verb = "does not allow" if allowed_ else "allows"
            extra = f" with {dict(context)}" if context else ""
            problems.append(f"{verb} {action} on {resource}{extra}")

    inside = f"{bucket_arn}/{prefix}collection/dataset/part-0.parquet"
    granted = {a.lower() for s in doc.statements if s.allows for a in s.actions}
    if "s3:getbucketlocation" in granted:  # a grant that never applies (e.g. under an s3:prefix condition)
        expect(True, "s3:GetBucketLocation", bucket_arn)
    expect(True, "s3:GetObject", inside)
    expect(True, "s3:ListBucket", bucket_arn, {"s3:prefix": f"{prefix}collection/"})
    expect(write, "s3:PutObject", inside)
    expect(write, "s3:DeleteObject", inside)
    if prefix:
        expect(False, "s3:GetObject", f"{bucket_arn}/outside/{prefix}x")
        expect(False, "s3:GetObject", f"{bucket_arn}/{prefix.rstrip('/')}-sibling/x")
        expect(False, "s3:ListBucket", bucket_arn, {"s3:prefix": "outside/"})
        expect(False, "s3:ListBucket", bucket_arn, {"s3:prefix": ""})
        expect(False, "s3:ListBucket", bucket_arn)
        expect(False, "s3:PutObject", f"{bucket_arn}/outside/x")
    expect(False, "s3:GetObject", f"arn:{partition}:s3:::{bucket}-other/{prefix}x")
    for action in ("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl"):
        expect(False, action, bucket_arn if "Bucket" in action else inside)
    expect(False, "iam:PassRole", "arn:aws:iam::123456789012:role/any")
    expect(
        False,
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf",
    )
    return problems


def _is_secret_arn_pattern(resource: str, secret_arns: Sequence[str]) -> bool:
    """``<arn>-??????`` (Secrets Manager's random suffix) for an ARN given without it."""
    return any(resource == f"{arn}-??????" for arn in secret_arns)


def check_secret_read_policy(
    document: str | Mapping[str, Any] | PolicyDocument, secret_arns: Iterable[str]
) -> list[str]:
    """A secret read policy may only read (GetSecretValue/DescribeSecret) exactly these secrets."""
    doc = document if isinstance(document, PolicyDocument) else PolicyDocument(document)
    arns = list(secret_arns)
    problems = lint_document(doc)
    allowed_lower = {a.lower() for a in SECRET_READ_ACTIONS}
    for index, statement in enumerate(doc.statements):
        if not statement.allows:
            continue
        for action in statement.actions:
            if action.lower() not in allowed_lower:
                problems.append(f"Statement[{index}]: action {action!r} is more than reading a secret")
        for resource in statement.resources:
            if resource not in arns and not _is_secret_arn_pattern(resource, arns):
                problems.append(f"Statement[{index}]: resource {resource!r} is not one of the secret ARNs")
    for arn in arns:
        forms = (arn, f"{arn}-AbC123")  # as given, and with Secrets Manager's random suffix
        if not any(doc.is_allowed("secretsmanager:GetSecretValue", form) for form in forms):
            problems.append(f"does not allow secretsmanager:GetSecretValue on {arn}")
        for action in ("secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"):
            if any(doc.is_allowed(action, form) for form in forms):
                problems.append(f"allows {action} on {arn}")
    for other in (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:unrelated-AbCdEf",
        *(f"{arn}x" for arn in arns),
    ):
        if doc.is_allowed("secretsmanager:GetSecretValue", other):
            problems.append(f"allows secretsmanager:GetSecretValue on {other}")
    return problems


def denies_insecure_transport(document: str | Mapping[str, Any] | PolicyDocument, bucket_arn: str) -> bool:
    """Does a bucket policy deny every S3 request over plain HTTP, to the bucket and its objects?"""
    doc = document if isinstance(document, PolicyDocument) else PolicyDocument(document)
    insecure = {"aws:SecureTransport": "false"}
    secure = {"aws:SecureTransport": "true"}
    probes = [
        ("s3:GetObject", f"{bucket_arn}/any/key"),
        ("s3:PutObject", f"{bucket_arn}/any/key"),
        ("s3:DeleteObject", f"{bucket_arn}/any/key"),
        ("s3:ListBucket", bucket_arn),
    ]
    denies_all_principals = any(
        s.effect == "Deny" and s.principal in ("*", {"AWS": "*"}, {"AWS": ["*"]}) for s in doc.statements
    )
    return (
        denies_all_principals
        and all(doc.evaluate(a, r, insecure) == "Deny" for a, r in probes)
        and not any(doc.evaluate(a, r, secure) == "Deny" for a, r in probes)
    )
