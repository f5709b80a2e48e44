"""Live health of a Trino cluster: workers, catalogs and versions against what the stack wants.

Reads ``system.runtime.nodes`` and ``system.metadata.catalogs`` through the ``trino`` client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .client import ClientError, TrinoConnection, connect, execute

Severity = Literal["error", "warning", "ok"]

NODES_SQL = "SELECT node_id, http_uri, node_version, coordinator, state FROM system.runtime.nodes"
CATALOGS_SQL = "SELECT catalog_name, connector_name FROM system.metadata.catalogs"
BUILTIN_CATALOGS = frozenset({"system"})


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    expected: Any
    actual: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


@dataclass
class HealthReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "ok"]

    def as_dict(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "findings": [f.as_dict() for f in self.findings]}


def _release(tag: str) -> str:
    """``'480'`` and ``'480-arm64'`` → ``'480'`` (Trino reports the bare release as node_version)."""
    return tag.split("-", 1)[0]


def check_health(
    connection: TrinoConnection | Any,
    *,
    desired_workers: int,
    desired_catalogs: set[str],
    image_tag: str | None,
) -> HealthReport:
    """Compare the live cluster with the desired one; never raises for an unreachable cluster."""
    report = HealthReport()
    db = connect(connection) if isinstance(connection, TrinoConnection) else connection
    try:
        try:
            nodes = execute(db, NODES_SQL)
        except ClientError as exc:
            report.findings.append(Finding("reachable", "error", True, False, str(exc)))
            return report
        _check_nodes(report, nodes.rows, desired_workers, image_tag)
        try:
            catalogs = execute(db, CATALOGS_SQL)
        except ClientError as exc:
            report.findings.append(Finding("catalogs", "error", sorted(desired_catalogs), None, str(exc)))
            return report
        _check_catalogs(report, {str(row[0]) for row in catalogs.rows}, desired_catalogs)
    finally:
        if isinstance(connection, TrinoConnection):
            db.close()
    return report


def _check_nodes(
    report: HealthReport, rows: list[tuple[Any, ...]], desired: int, image_tag: str | None
) -> None:
    coordinators = [r for r in rows if bool(r[3])]
    workers = [r for r in rows if not bool(r[3])]
    active = [r for r in workers if r[4] == "active"]
    draining = [r for r in workers if r[4] == "shutting_down"]
    if not any(r[4] == "active" for r in coordinators):
        report.findings.append(
            Finding(
                "coordinator",
                "error",
                "active",
                [r[4] for r in coordinators] or None,
                "no active coordinator",
            )
        )
    else:
        report.findings.append(Finding("coordinator", "ok", "active", "active", "coordinator is active"))
    count = len(active)
    if count == desired:
        report.findings.append(Finding("workers", "ok", desired, count, f"{count} active worker(s)"))
    elif count < desired:
        severity: Severity = "error" if count == 0 else "warning"
        note = f" ({len(draining)} shutting down)" if draining else ""
        report.findings.append(
            Finding("workers", severity, desired, count, f"{count} of {desired} workers active{note}")
        )
    else:
        report.findings.append(
            Finding(
                "workers",
                "warning",
                desired,
                count,
                f"{count} active workers, more than the {desired} desired",
            )
        )
    if image_tag:
        wanted = _release(image_tag)
        versions = sorted({str(r[2]) for r in rows})
        stale = sorted({str(r[0]) for r in rows if _release(str(r[2])) != wanted})
        if stale:
            report.findings.append(
                Finding(
                    "version",
                    "warning",
                    wanted,
                    versions,
                    f"{len(stale)} node(s) run another version than image tag {image_tag}: "
                    + ", ".join(stale),
                )
            )
        else:
            report.findings.append(Finding("version", "ok", wanted, versions, f"all nodes run {wanted}"))


def _check_catalogs(report: HealthReport, live: set[str], desired: set[str]) -> None:
    missing = sorted(desired - live)
    extra = sorted(live - desired - BUILTIN_CATALOGS)
    if missing:
        report.findings.append(
            Finding(
                "catalogs", "error", sorted(desired), sorted(live), f"missing catalogs: {', '.join(missing)}"
            )
        )
    if extra:
        report.findings.append(
            Finding(
                "catalogs",
                "warning",
                sorted(desired),
                sorted(live),
                f"unexpected catalogs: {', '.join(extra)}",
            )
        )
    if not missing and not extra:
        report.findings.append(
            Finding("catalogs", "ok", sorted(desired), sorted(live), f"{len(desired)} catalog(s) present")
        )
