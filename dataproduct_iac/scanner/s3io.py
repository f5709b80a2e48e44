"""S3 access for the scanner: clients with retries, request accounting, and a ranged-read file.

:class:`RangedS3File` is a read-only, seekable file object over one S3 object. Every ``read``
is one ``GetObject`` with a ``Range`` header for exactly the bytes asked for, so a Parquet reader
handed this object fetches the footer and nothing else.
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DEFAULT_USER_AGENT = "dataproduct-scanner"


@dataclass
class RequestStats:
    """What the scan cost: API calls by ``service.Operation``, retries, and object bytes read."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    bytes_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_call(self, name: str, retries: int) -> None:
        with self._lock:
            self.calls[name] += 1
            self.retries += retries

    def add_bytes(self, count: int) -> None:
        with self._lock:
            self.bytes_read += count

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": dict(sorted(self.calls.items())),
            "retries": self.retries,
            "bytes_read": self.bytes_read,
        }


def make_clients(
    session: Any,
    *,
    endpoint_url: str | None,
    region: str | None,
    retry_mode: str,
    max_attempts: int,
    pool_size: int,
    stats: RequestStats,
) -> tuple[Any, Any]:
    """An S3 and a Glue client sharing one retry policy; calls are counted into ``stats``.

    Without ``endpoint_url`` boto3 applies its standard configuration chain, including the
    ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_GLUE`` environment variables.
    """
    from botocore.config import Config

    config = Config(
        retries={"mode": retry_mode, "max_attempts": max_attempts},
        max_pool_connections=max(10, pool_size),
        user_agent_extra=DEFAULT_USER_AGENT,
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    kwargs: dict[str, Any] = {"config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    if region:
        kwargs["region_name"] = region
    s3 = session.client("s3", **kwargs)
    glue = session.client("glue", **kwargs)

    def count(event_name: str, parsed: Any = None, model: Any = None, **_: Any) -> None:
        service = event_name.split(".")[1]
        retries = 0
        if isinstance(parsed, dict):
            retries = int(parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0)
        stats.add_call(f"{service}.{model.name if model is not None else '?'}", retries)

    for client in (s3, glue):
        client.meta.events.register("after-call", count)
    return s3, glue


class RangedS3File(io.RawIOBase):
    """A seekable, read-only view of ``s3://bucket/key``; each read is one ranged GET."""

    def __init__(
        self, client: Any, bucket: str, key: str, size: int, stats: RequestStats | None = None
    ) -> None:
        super().__init__()
        self._client = client
        self._bucket = bucket
        self._key = key
        self._size = size
        self._pos = 0
        self._stats = stats
        self.bytes_read = 0
        self.requests = 0

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise ValueError("negative seek position")
        self._pos = target
        return self._pos

    def read_range(self, start: int, length: int) -> bytes:
        """Bytes ``[start, start + length)`` (clipped to the object) in one GET."""
        end = min(self._size, start + length) - 1
        if length <= 0 or start >= self._size:
            return b""
        response = self._client.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={start}-{end}")
        data: bytes = response["Body"].read()
        self.bytes_read += len(data)
        self.requests += 1
        if self._stats is not None:
            self._stats.add_bytes(len(data))
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._size - self._pos
        data = self.read_range(self._pos, size)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)
