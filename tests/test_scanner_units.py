"""Scanner pieces without a server: type merging, inference, layout, env settings, naming."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproduct_iac.scanner import DatabaseNaming, settings_from_env
from dataproduct_iac.scanner.credentials import credential_keys
from dataproduct_iac.scanner.env import EnvError
from dataproduct_iac.scanner.glue import EXPRESSION_LIMIT, name_expressions
from dataproduct_iac.scanner.layout import S3Object, group_objects
from dataproduct_iac.scanner.readers import _json_columns, infer_value, read_csv, read_json_lines
from dataproduct_iac.scanner.s3io import RequestStats
from dataproduct_iac.scanner.types import Column, SchemaConflict, iceberg_to_hive, merge_columns, widen
from dataproduct_iac.settings import StackSettings


@pytest.mark.parametrize(
    ("left", "right", "merged"),
    [
        ("int", "bigint", "bigint"),
        ("tinyint", "smallint", "smallint"),
        ("float", "double", "double"),
        ("decimal(10,2)", "decimal(8,4)", "decimal(12,4)"),
        ("struct<a:int>", "struct<a:bigint,b:string>", "struct<a:bigint,b:string>"),
        ("array<int>", "array<bigint>", "array<bigint>"),
    ],
)
def test_compatible_types_widen(left: str, right: str, merged: str) -> None:
    assert widen(left, right) == merged
    assert widen(right, left) == merged


@pytest.mark.parametrize(("left", "right"), [("bigint", "string"), ("int", "double"), ("date", "timestamp")])
def test_incompatible_types_conflict(left: str, right: str) -> None:
    with pytest.raises(SchemaConflict):
        widen(left, right)


def test_inferred_types_fall_back() -> None:
    assert widen("bigint", "double", inferred=True) == "double"
    assert widen("date", "timestamp", inferred=True) == "timestamp"
    assert widen("boolean", "bigint", inferred=True) == "string"


def test_merge_columns_appends_and_names_every_conflict() -> None:
    base = [Column("a", "int"), Column("b", "string")]
    assert merge_columns(base, [Column("A", "bigint"), Column("c", "date")]) == [
        Column("a", "bigint"),
        Column("b", "string"),
        Column("c", "date"),
    ]
    with pytest.raises(SchemaConflict, match=r"column 'a'.*column 'b'"):
        merge_columns(base, [Column("a", "string"), Column("b", "int")])


@pytest.mark.parametrize(
    ("value", "hive"),
    [
        ("", None),
        ("42", "bigint"),
        ("-1.5e3", "double"),
        ("TRUE", "boolean"),
        ("2024-01-31", "date"),
        ("2024-01-31 10:00:00.123", "timestamp"),
        ("2024-01-31T10:00:00", "string"),
        ("12345678901234567890", "double"),
        ("hello", "string"),
    ],
)
def test_csv_value_inference(value: str, hive: str | None) -> None:
    assert infer_value(value) == hive


def test_iceberg_types() -> None:
    assert iceberg_to_hive("decimal(9, 3)") == "decimal(9,3)"
    assert iceberg_to_hive({"type": "list", "element": "long", "element-id": 3}) == "array<bigint>"
    nested = {"type": "struct", "fields": [{"id": 1, "name": "x", "type": "uuid"}]}
    assert iceberg_to_hive(nested) == "struct<x:string>"


def objs(*keys: str) -> list[S3Object]:
    return [S3Object(k, 10) for k in keys]


def test_layout_groups_datasets_partitions_and_skips_hidden_files() -> None:
    found = group_objects(
        objs(
            "raw/c/t/dt=1/h=0/a.parquet",
            "raw/c/t/dt=2/h=5/b.parquet",
            "raw/c/t/_SUCCESS",
            "raw/c/t/.a.parquet.crc",
            "raw/c/t/_temporary/0/x.parquet",
            "raw/c/loose.parquet",
            "raw/c/u/",
            "raw/c/d/_delta_log/0000.json",
            "raw/c/d/part.parquet",
        ),
        "raw/",
    )
    assert sorted(found) == [("c", "d"), ("c", "t")]
    table = found[("c", "t")]
    assert table.partition_keys == ["dt", "h"]
    assert table.partitions == {("1", "0"): "raw/c/t/dt=1/h=0/", ("2", "5"): "raw/c/t/dt=2/h=5/"}
    assert [f.key for f in table.files] == ["raw/c/t/dt=1/h=0/a.parquet", "raw/c/t/dt=2/h=5/b.parquet"]
    assert table.format("CSV") == "PARQUET"
    with pytest.raises(ValueError, match="Delta"):
        found[("c", "d")].format("PARQUET")


def test_layout_problems_are_reported() -> None:
    found = group_objects(objs("c/t/dt=1/a.csv", "c/t/b.csv", "c/m/x.csv", "c/m/y.json", "c/n/sub/a.csv"), "")
    assert "inconsistent partition layout" in found[("c", "t")].problems[0]
    with pytest.raises(ValueError, match="several formats"):
        found[("c", "m")].format(None)
    assert "neither a k=v partition directory" in found[("c", "n")].problems[0]


def test_env_settings() -> None:
    values = settings_from_env(
        {
            "DATAPRODUCT_SCAN_BUCKET": "b",
            "DATAPRODUCT_SCAN_MARK_DELETED": "true",
            "DATAPRODUCT_SCAN_CONCURRENCY": "3",
            "DATAPRODUCT_SCAN_SCHEMA_INCLUDES": '["^ga_"]',
            "DATAPRODUCT_SCAN_FORMATS": "parquet, csv",
            "DATAPRODUCT_SCAN_ONLY": "ga_web,ga_app/events",
            "UNRELATED": "x",
        }
    )
    assert values["bucket"] == "b" and values["mark_deleted"] is True and values["concurrency"] == 3
    assert values["schema_filter"].admits("ga_web") and not values["schema_filter"].admits("other")
    assert values["formats"] == ("PARQUET", "CSV")
    assert values["only"] == ["ga_web", "ga_app/events"]
    with pytest.raises(EnvError, match="JSON list"):
        settings_from_env({"DATAPRODUCT_SCAN_TABLE_EXCLUDES": "^tmp"})
    with pytest.raises(EnvError, match="true or false"):
        settings_from_env({"DATAPRODUCT_SCAN_DRY_RUN": "maybe"})


def test_database_naming_matches_stack_settings() -> None:
    settings = StackSettings(
        stack="prod", environment="prod", name_prefix="Acme-", physical_names={"lake:x": "xdb"}
    )
    naming = DatabaseNaming.from_stack(settings, "lake")
    for collection in ("ga_web", "Mixed-Case", "x"):
        assert naming.name(collection) == settings.glue_database_name("lake", collection)


def test_credential_keys() -> None:
    assert credential_keys(["accesskeyid", "secretkey", "other"]) == {
        "AWS_ACCESS_KEY_ID": "accesskeyid",
        "AWS_SECRET_ACCESS_KEY": "secretkey",
    }
    assert credential_keys(["awsaccesskeyid"]) == {}


class _FakeS3:
    """``get_object`` with a ``Range`` over one in-memory object (what RangedS3File calls)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def get_object(self, Bucket: str, Key: str, Range: str) -> dict[str, Any]:
        start, end = (int(x) for x in Range.removeprefix("bytes=").split("-"))
        return {"Body": io.BytesIO(self.data[start : end + 1])}


_json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["a", "2024-01-01"]),
    st.lists(st.one_of(st.integers(0, 9), st.sampled_from(["x", "1.5"])), max_size=3),
    st.dictionaries(
        st.sampled_from(["p", "q"]), st.one_of(st.integers(0, 9), st.text(max_size=2)), max_size=2
    ),
)
_records = st.lists(
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), _json_values, max_size=4), max_size=30
)


@settings(max_examples=200, deadline=None)
@given(_records)
def test_json_lines_schema_is_the_fold_over_every_record(records: list[dict[str, Any]]) -> None:
    # The reader skips merging record shapes that are known to change nothing: same result as the
    # plain fold of merge_columns over every sampled record.
    body = "".join(json.dumps(r) + "\n" for r in records).encode()
    obj = S3Object("raw/c/d/part.jsonl", len(body))
    try:
        expected: list[Column] = []
        keys: list[str] = []
        for record in records:
            keys += [k for k in record if k not in keys]
            expected = merge_columns(expected, _json_columns(record), inferred=True)
        expected += [Column(k, "string") for k in keys if k not in {c.name for c in expected}]
    except SchemaConflict:
        with pytest.raises(SchemaConflict):
            read_json_lines(_FakeS3(body), "b", obj, RequestStats(), sample_bytes=1 << 20, sample_rows=1000)
        return
    if not keys:
        return
    schema = read_json_lines(_FakeS3(body), "b", obj, RequestStats(), sample_bytes=1 << 20, sample_rows=1000)
    assert schema.columns == expected


def test_csv_inference_widens_to_string_and_stays_there() -> None:
    body = b"a,b,c\n1,2024-01-01,x\nfoo,2024-01-02 10:00:00,1\n3,,2.5\n"
    obj = S3Object("raw/c/d/part.csv", len(body))
    schema = read_csv(_FakeS3(body), "b", obj, RequestStats(), sample_bytes=1 << 16, sample_rows=100)
    assert schema.columns == [Column("a", "string"), Column("b", "timestamp"), Column("c", "string")]


@given(
    st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=255), max_size=60)
)
def test_name_expressions_cover_every_name_within_the_limit(names: list[str]) -> None:
    expressions = name_expressions(names)
    assert all(len(e) <= EXPRESSION_LIMIT for e in expressions)
    assert sorted(n for e in expressions for n in e.split("|")) == sorted(set(names))


def test_env_aws_request_settings() -> None:
    values = settings_from_env(
        {
            "DATAPRODUCT_SCAN_CONNECT_TIMEOUT": "2",
            "DATAPRODUCT_SCAN_READ_TIMEOUT": "7.5",
            "DATAPRODUCT_SCAN_RETRY_BUDGET": "20",
            "DATAPRODUCT_SCAN_MAX_ATTEMPTS": "3",
        }
    )
    assert values == {"connect_timeout": 2.0, "read_timeout": 7.5, "retry_budget": 20.0, "max_attempts": 3}
    with pytest.raises(EnvError, match="DATAPRODUCT_SCAN_READ_TIMEOUT must be a number of seconds"):
        settings_from_env({"DATAPRODUCT_SCAN_READ_TIMEOUT": "30s"})


def test_stack_aws_request_settings_are_checked_and_named() -> None:
    from dataproduct_iac.settings import SettingError

    settings = StackSettings(aws_read_timeout=12, aws_retry_budget=90.0, aws_max_attempts=2)
    client = settings.aws_client_settings()
    assert (client.connect_timeout, client.read_timeout, client.max_attempts, client.retry_budget) == (
        5.0,
        12,
        2,
        90.0,
    )
    with pytest.raises(SettingError) as caught:
        StackSettings(aws_retry_budget=0)
    assert caught.value.attribute == "aws_retry_budget"
