"""``trino.units`` parses sizes and durations exactly as the pinned Trino's own jar does.

The same strings go through airlift's ``DataSize.valueOf`` / ``Duration.valueOf`` from the server's
``lib/`` (run by Java 24+) and through :mod:`dataproduct_iac.trino.units`: both must accept the
same ones, with the same value.
"""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trino_dist import java_home

from dataproduct_iac.trino.units import SIZE_UNITS, parse_data_size, parse_duration

pytestmark = pytest.mark.trino

PROBE = """
import io.airlift.units.DataSize;
import io.airlift.units.Duration;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

public class UnitsProbe {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        String line;
        while ((line = in.readLine()) != null) {
            String kind = line.substring(0, 1);
            String text = line.substring(2).replace("\\\\t", "\\t");
            try {
                if (kind.equals("s")) {
                    System.out.println("ok " + DataSize.valueOf(text).toBytes());
                } else {
                    System.out.println("ok " + Math.round(Duration.valueOf(text).getValue(NANOSECONDS)));
                }
            } catch (RuntimeException e) {
                System.out.println("refused");
            }
        }
    }
}
"""

SIZES = [
    "1B", "1kB", "1KB", "1MB", "28GB", "1.5GB", " 1 GB ", "1\\tGB", "1TB", "2PB", "1EB", "1gb", "1Gi",
    "1GiB", "1Mb", "1.5B", "0.5kB", "1.25kB", "10", "1e3MB", "1,5GB", "+1GB", "-1GB", ".5GB", "1.GB",
    "", "GB", "128MB", "0B",
]  # fmt: skip
DURATIONS = [
    "1s", "1m", "1.5h", "1d", "1ms", "1us", "1ns", "1 m", " 2m ", "1M", "1H", "10", "1.s", "1w",
    "1min", "1.25m", ".5s", "25m", "0s", "",
]  # fmt: skip


def _java(server: Path, tmp: Path, lines: list[str]) -> list[str]:
    source = tmp / "UnitsProbe.java"
    source.write_text(PROBE)
    java = java_home() / "bin" / "java"
    result = subprocess.run(
        [str(java), "-cp", f"{server / 'lib'}/*", str(source)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return result.stdout.splitlines()


def _ours_size(text: str) -> str:
    try:
        return f"ok {parse_data_size(text.replace(chr(92) + 't', chr(9)))}"
    except ValueError:
        return "refused"


def _ours_duration(text: str) -> str:
    try:
        seconds = parse_duration(text.replace(chr(92) + "t", chr(9)))
    except ValueError:
        return "refused"
    return f"ok {int(seconds * Decimal(10**9))}"


def test_sizes_and_durations_parse_as_in_the_pinned_trino(trino_server_home: Path, tmp_path: Path) -> None:
    lines = [f"s {t}" for t in SIZES] + [f"d {t}" for t in DURATIONS]
    java = _java(trino_server_home, tmp_path, lines)
    ours = [_ours_size(t) for t in SIZES] + [_ours_duration(t) for t in DURATIONS]
    mismatches = [(line, j, o) for line, j, o in zip(lines, java, ours, strict=True) if j != o]
    assert not mismatches


@settings(max_examples=1, suppress_health_check=list(HealthCheck), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True),
            st.sampled_from([" ", ""]),
            st.sampled_from([*SIZE_UNITS, "KB", "EB", "gb", "Gi", "mB"]),
        ),
        min_size=200,
        max_size=200,
    )
)
def test_generated_sizes_agree_with_the_jar(
    trino_server_home: Path, tmp_path_factory: pytest.TempPathFactory, sizes: list[tuple[str, str, str]]
) -> None:
    """One batch of 200 generated sizes (one JVM start), compared one by one."""
    texts = [f"{n}{space}{unit}" for n, space, unit in sizes]
    java = _java(trino_server_home, tmp_path_factory.mktemp("units"), [f"s {t}" for t in texts])
    assert [(t, j) for t, j in zip(texts, java, strict=True) if j != _ours_size(t)] == []
