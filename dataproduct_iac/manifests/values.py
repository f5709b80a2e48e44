"""Validated scalar types shared by manifests: Kubernetes quantities, cron expressions, time zones,
log levels; and how a name the manifests accept in any case is read (:func:`upper_case`)."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

_QUANTITY = re.compile(
    r"^(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
}


def parse_quantity(text: str | int | float) -> Decimal:
    """Parse a Kubernetes resource quantity (``14000m``, ``52Gi``, ``1.5``) into its base unit."""
    raw = str(text).strip()
    match = _QUANTITY.match(raw)
    if not match:
        raise ValueError(
            f"{raw!r} is not a Kubernetes quantity (examples: '500m', '2', '512Mi', '52Gi', '1G')"
        )
    try:
        number = Decimal(match["num"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimal numbers
        raise ValueError(f"{raw!r} is not a Kubernetes quantity") from None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    if suffix:
        return number * (Decimal(10) ** int(suffix[1:]))
    return number


def _check_quantity(value: str | int | float) -> str:
    parse_quantity(value)
    return str(value).strip()


Quantity = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int | float) else v),
    AfterValidator(_check_quantity),
    Field(description="A Kubernetes quantity, e.g. 500m, 2, 512Mi, 52Gi."),
]
"""A Kubernetes quantity kept in its original spelling, validated."""

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# The rules of the parser Kubernetes CronJobs use (robfig/cron v3, ``cron.ParseStandard``): five
# fields; day of week 0-6 (Sunday is 0; 7 is refused); names only for months and days of week;
# ``*`` and ``?`` for any value; ``a-b``, ``/step`` (``N/step`` runs from N to the field's maximum);
# empty items of a comma list are skipped; the descriptors below and ``@every <duration>``.
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(_DAYS)}),
)
_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_GO_DURATION = re.compile(r"^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")
"""A Go ``time.ParseDuration`` text (``1h30m``, ``90s``), as ``@every`` takes it."""


def _cron_value(token: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    lowered = token.lower()
    if lowered in names:
        return names[lowered]
    if not token.isdigit():
        known = f" or a name ({', '.join(names)})" if names else ""
        raise ValueError(f"{name} field: {token!r} is not a number{known}")
    number = int(token)
    if not low <= number <= high:
        hint = " (Sunday is 0; Kubernetes does not accept 7)" if name == "day of week" and number == 7 else ""
        raise ValueError(f"{name} field: {number} is outside {low}-{high}{hint}")
    return number


def check_cron(expression: str) -> str:
    """Validate a cron expression as Kubernetes CronJobs accept it (see the rules above)."""
    text = " ".join(str(expression).split())
    if text in _CRON_MACROS:
        return text
    if text.startswith("@every "):
        if not _GO_DURATION.match(text[len("@every ") :]):
            raise ValueError(f"{text!r}: '@every' takes a duration such as '1h30m' or '90s'")
        return text
    if text.startswith("@"):
        raise ValueError(
            f"unknown descriptor {text!r}; known: {', '.join(sorted(_CRON_MACROS))}, '@every <duration>'"
        )
    if "TZ" in text:
        raise ValueError(
            "a time zone goes in the 'timezone' field, not in the cron expression (TZ=, CRON_TZ=)"
        )
    parts = text.split(" ")
    if len(parts) != 5:
        raise ValueError(
            f"cron expression {expression!r} has {len(parts)} fields; expected 5 "
            "(minute hour day-of-month month day-of-week), e.g. '13 1 */2 * *'"
        )
    for token, (name, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        for item in token.split(","):
            if not item:
                continue  # robfig/cron skips empty list items
            base, slash, step = item.partition("/")
            if slash and (not step.isdigit() or int(step) == 0):
                raise ValueError(f"{name} field: step {step!r} must be a positive number")
            if "/" in step:
                raise ValueError(f"{name} field: {item!r} has more than one '/'")
            if base in ("*", "?"):
                continue
            start, dash, end = base.partition("-")
            first = _cron_value(start, name, low, high, names)
            if dash:
                last = _cron_value(end, name, low, high, names)
                if last < first:
                    raise ValueError(f"{name} field: range {base!r} runs backwards")
    return text


CronExpression = Annotated[
    str,
    AfterValidator(check_cron),
    Field(
        description="A five-field cron expression (minute hour day-of-month month day-of-week) as "
        "Kubernetes CronJobs parse it: day of week 0-6 (Sunday is 0), names for months and days, "
        "@daily-style descriptors and '@every <duration>'."
    ),
]


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'UTC', 'Asia/Kolkata')") from None
    return value


TimeZone = Annotated[str, AfterValidator(_check_timezone), Field(description="An IANA time zone, e.g. UTC.")]


def upper_case(value: Any) -> Any:
    """A name the manifests accept in any case (depot types, formats, log levels), read in upper case."""
    return value.upper() if isinstance(value, str) else value


def _any_case_levels(levels: Any) -> WithJsonSchema:
    """Schema of the log levels of the ``Literal`` type ``levels``, in the spellings DataOS's own examples
    use (``INFO``, ``info``, ``Info``; the model reads any case)."""
    names: tuple[str, ...] = get_args(levels)
    return WithJsonSchema(
        {
            "type": "string",
            "enum": [*names, *(n.lower() for n in names), *(n.capitalize() for n in names)],
            "description": "Any case; read in upper case.",
        }
    )


_TrinoLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]
LogLevel = Annotated[_TrinoLevel, BeforeValidator(upper_case), _any_case_levels(_TrinoLevel)]
"""A cluster's log level (Trino's log.properties levels), written in any case, kept in upper case."""
_JobLevel = Literal["DEBUG", "INFO", "WARN", "WARNING", "ERROR"]
JobLogLevel = Annotated[_JobLevel, BeforeValidator(upper_case), _any_case_levels(_JobLevel)]
"""A workflow job's log level, written in any case (DataOS's examples write INFO, info and Info),
kept in upper case."""
