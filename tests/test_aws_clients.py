"""The AWS clients' reply check, retry accounting and retry budget (dataproduct_iac/aws_clients.py).

Replies are injected with a ``before-send`` handler (botocore then skips the network); the moto
fixture only provides a harmless endpoint and dummy credentials.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import boto3
import pytest

from dataproduct_iac.aws_clients import (
    ClientSettingError,
    ClientSettings,
    IncompleteReply,
    make_client,
    reply_problem,
)

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()
        self.lock = threading.Lock()

    def add_call(self, name: str) -> None:
        with self.lock:
            self.calls[name] += 1

    def add_retry(self, name: str) -> None:
        with self.lock:
            self.retries[name] += 1


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def replies(*bodies: tuple[int, bytes, dict[str, str]]) -> Any:
    """A ``before-send`` handler answering the n-th request with the n-th (status, body, headers); the
    last one again for every later request. ``handler.sent`` counts the requests."""
    from botocore.awsrequest import AWSResponse

    def handler(request: Any, **_: Any) -> Any:
        index = min(handler.sent, len(bodies) - 1)  # type: ignore[attr-defined]
        handler.sent += 1  # type: ignore[attr-defined]
        status, body, headers = bodies[index]
        return AWSResponse(request.url, status, headers, _Raw(body))

    handler.sent = 0  # type: ignore[attr-defined]
    return handler


def whole(body: bytes, status: int = 200) -> tuple[int, bytes, dict[str, str]]:
    return status, body, {"Content-Length": str(len(body))}


def cut(body: bytes, keep: int) -> tuple[int, bytes, dict[str, str]]:
    """The first ``keep`` bytes of ``body`` under the headers of the whole body."""
    return 200, body[:keep], {"Content-Length": str(len(body))}


PARTITIONS = json.dumps(
    {"Partitions": [{"Values": ["2024-01-01"], "DatabaseName": "d", "TableName": "t"}]}
).encode()
LISTING = (
    b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>1</KeyCount>'
    b"<IsTruncated>false</IsTruncated><Contents><Key>raw/a/b/c.parquet</Key><Size>3</Size>"
    b"</Contents></ListBucketResult>"
)
FAST = ClientSettings(max_attempts=3, connect_timeout=1, read_timeout=1)


def client(service: str, settings: ClientSettings = FAST, recorder: Recorder | None = None) -> Any:
    session = boto3.session.Session()
    return make_client(session, service, settings, recorder=recorder, s3_path_style=service == "s3")


def test_cut_off_json_reply_is_an_error_after_every_attempt_never_an_empty_answer(moto_endpoint: str) -> None:
    recorder = Recorder()
    glue = client("glue", recorder=recorder)
    handler = replies(cut(PARTITIONS, len(PARTITIONS) // 2))
    glue.meta.events.register("before-send", handler)
    with pytest.raises(IncompleteReply, match=r"glue.GetPartitions: \d+ of the \d+ bytes"):
        glue.get_partitions(DatabaseName="d", TableName="t")
    assert handler.sent == 3  # retried like a dropped connection
    assert recorder.calls == {"glue.GetPartitions": 1}
    assert recorder.retries == {"glue.GetPartitions": 2}


def test_cut_off_reply_retried_once_reads_the_whole_answer(moto_endpoint: str) -> None:
    recorder = Recorder()
    glue = client("glue", recorder=recorder)
    glue.meta.events.register("before-send", replies(cut(PARTITIONS, 10), whole(PARTITIONS)))
    reply = glue.get_partitions(DatabaseName="d", TableName="t")
    assert [p["Values"] for p in reply["Partitions"]] == [["2024-01-01"]]
    assert sum(recorder.retries.values()) == 1


@pytest.mark.parametrize("body", [b'{"Partitions": [', b"<html>gateway</html>", b"[]"])
def test_json_body_that_does_not_parse_to_an_object_is_incomplete(moto_endpoint: str, body: bytes) -> None:
    glue = client("glue")
    glue.meta.events.register("before-send", replies(whole(body)))
    with pytest.raises(IncompleteReply, match="JSON"):
        glue.get_partitions(DatabaseName="d", TableName="t")


def test_cut_off_xml_listing_is_incomplete_not_a_parser_error(moto_endpoint: str) -> None:
    s3 = client("s3")
    s3.meta.events.register("before-send", replies(cut(LISTING, 120)))
    with pytest.raises(IncompleteReply, match=r"s3\.ListObjectsV2"):
        s3.list_objects_v2(Bucket="b", Prefix="raw/")


def test_whole_replies_pass_unchanged(moto_endpoint: str) -> None:
    s3 = client("s3")
    s3.meta.events.register("before-send", replies(whole(LISTING)))
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="b")["Contents"]] == ["raw/a/b/c.parquet"]


def test_every_retry_is_counted_also_when_the_call_fails_in_the_end(moto_endpoint: str) -> None:
    from botocore.exceptions import EndpointConnectionError

    recorder = Recorder()
    glue = client("glue", ClientSettings(max_attempts=4), recorder)

    def refuse(request: Any, **_: Any) -> Any:
        raise EndpointConnectionError(endpoint_url=request.url)

    glue.meta.events.register("before-send", refuse)
    with pytest.raises(EndpointConnectionError):
        glue.get_databases()
    assert recorder.retries == {"glue.GetDatabases": 3}


def test_no_retry_starts_after_the_retry_budget(moto_endpoint: str) -> None:
    from botocore.exceptions import ReadTimeoutError

    attempts: list[float] = []

    def black_hole(request: Any, **_: Any) -> Any:
        attempts.append(time.monotonic())
        time.sleep(0.4)  # as if the read timeout had passed
        raise ReadTimeoutError(endpoint_url=request.url)

    glue = client("glue", ClientSettings(max_attempts=20, retry_budget=1.0))
    glue.meta.events.register("before-send", black_hole)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        glue.get_databases()
    assert 2 <= len(attempts) < 20
    assert attempts[-1] - started < 1.0  # the last attempt started within the budget


def test_error_replies_after_the_budget_keep_their_modeled_exception(moto_endpoint: str) -> None:
    throttled = json.dumps({"__type": "ThrottlingException", "message": "slow down"}).encode()
    glue = client("glue", ClientSettings(max_attempts=20, retry_budget=0.3))
    glue.meta.events.register("before-send", replies(whole(throttled, status=400)))
    with pytest.raises(glue.exceptions.ThrottlingException):
        glue.get_databases()
    not_found = json.dumps({"__type": "EntityNotFoundException", "message": "no"}).encode()
    glue = client("glue", ClientSettings(max_attempts=20, retry_budget=0.001))
    glue.meta.events.register("before-send", replies(whole(not_found, status=400)))
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName="d", Name="t")


def test_head_replies_and_streamed_bodies_are_not_held_to_their_content_length() -> None:
    s3 = boto3.session.Session().client("s3", region_name="us-east-1")
    head = s3.meta.service_model.operation_model("HeadObject")
    get = s3.meta.service_model.operation_model("GetObject")
    announced = {"content-length": "1000"}
    assert reply_problem({"body": b"", "headers": announced, "status_code": 200}, head) is None
    assert reply_problem({"body": object(), "headers": announced, "status_code": 200}, get) is None
    listing = s3.meta.service_model.operation_model("ListObjectsV2")
    assert reply_problem({"body": b"<a/>", "headers": announced, "status_code": 200}, listing)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("connect_timeout", 0),
        ("read_timeout", -1.0),
        ("retry_budget", float("inf")),
        ("read_timeout", "30"),
        ("max_attempts", 0),
        ("max_attempts", 2.5),
        ("retry_mode", "eager"),
    ],
)
def test_client_settings_refuse_values_that_cannot_work(field: str, value: Any) -> None:
    with pytest.raises(ClientSettingError) as caught:
        ClientSettings(**{field: value})
    assert caught.value.field == field
