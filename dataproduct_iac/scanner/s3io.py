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

from ..aws_clients import ClientSettings, IncompleteReply, make_client

DEFAULT_USER_AGENT = "dataproduct-scanner"
BODY_ATTEMPTS = 3
"""Reads of one ranged GET's body, when it is cut off."""


@dataclass
class RequestStats:
    """What the scan cost: API calls by ``service.Operation``, retries, and object bytes read.

    A :class:`~dataproduct_iac.aws_clients.CallRecorder`: the clients report every call and every retry
    (also the retries of a call that failed in the end).
    """

    calls: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    bytes_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_call(self, name: str) -> None:
        with self._lock:
            self.calls[name] += 1

    def add_retry(self, name: str) -> None:
        with self._lock:
            self.retries += 1

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
    settings: ClientSettings,
    *,
    endpoint_url: str | None,
    region: str | None,
    pool_size: int,
    stats: RequestStats,
) -> tuple[Any, Any]:
    """An S3 and a Glue client with ``settings`` (see :func:`~dataproduct_iac.aws_clients.make_client`);
    calls and retries are counted into ``stats``."""
    kwargs: dict[str, Any] = {
        "endpoint_url": endpoint_url,
        "region": region,
        "pool_size": pool_size,
        "recorder": stats,
        "user_agent_extra": DEFAULT_USER_AGENT,
    }
    s3 = make_client(session, "s3", settings, s3_path_style=bool(endpoint_url), **kwargs)
    glue = make_client(session, "glue", settings, **kwargs)
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
        from botocore.exceptions import IncompleteReadError, ResponseStreamingError

        end = min(self._size, start + length) - 1
        if length <= 0 or start >= self._size:
            return b""
        for attempt in range(1, BODY_ATTEMPTS + 1):
            # The request is retried by the client; a body cut off while it is read is retried here.
            response = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={start}-{end}"
            )
            try:
                data: bytes = response["Body"].read()
                break
            except (IncompleteReadError, ResponseStreamingError) as exc:
                if attempt == BODY_ATTEMPTS:
                    raise IncompleteReply("s3.GetObject", f"{self._key}: {exc}") from None
                if self._stats is not None:
                    self._stats.add_retry("s3.GetObject")
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
