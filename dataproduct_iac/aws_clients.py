"""The AWS clients this tool makes (the scanner's S3 and Glue, the live drift checks' S3, Secrets Manager
and Glue): one place for timeouts, retries, and the check that a reply arrived whole.

botocore does not hold a reply to its ``Content-Length`` (it reads with ``enforce_content_length=False``)
and its JSON parser turns a body it cannot parse into ``{"message": <text>}``, from which the
operation's fields are simply absent: a cut-off ``GetPartitions`` reply reads as "no partitions", a
cut-off ``GetSecretValue`` as a secret without a value. Every client made by :func:`make_client`
therefore

- refuses a reply whose body is not as long as its ``Content-Length`` says, or, for the JSON protocol
  (Glue, Secrets Manager), whose body is not a JSON object. Such a reply is retried like a dropped
  connection; when the attempts or the retry budget run out, the call raises :class:`IncompleteReply`.
  It is never parsed into an answer. (Streamed bodies, S3 ``GetObject``, are checked by botocore's
  ``StreamingBody`` when they are read.)
- has connect and read timeouts, a number of attempts per request and a retry budget: no retry starts
  once a request has taken ``retry_budget`` seconds (a black-holed endpoint costs at most about
  ``retry_budget + read_timeout`` per request, not ``max_attempts`` times the read timeout plus
  back-off).
- reports every API call and every retry (a retry after a connection error, a timeout, an error
  reply or an incomplete reply, whatever the call's outcome) to an optional :class:`CallRecorder`.

No boto3 or botocore import at module level: the settings are read by code that never talks to AWS.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import DataproductError

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BUDGET = 60.0
RETRY_MODES = ("standard", "adaptive", "legacy")

_INCOMPLETE = "dataproduct.incomplete_reply"
"""Key under which a reply that failed the check carries the reason, from parsing to ``after-call``."""
_LAST = "dataproduct.last_attempt"
"""Key in a call's request context: (response, exception) of its latest attempt."""
_STARTED = "dataproduct.started"
"""Key in a call's request context: when the call's first attempt started (``time.monotonic``)."""


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts and retries of every AWS request (scanner and drift alike)."""

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    """Seconds to wait for a connection."""
    read_timeout: float = DEFAULT_READ_TIMEOUT
    """Seconds to wait for (the next bytes of) a reply."""
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    """Attempts per request: the first one plus retries."""
    retry_budget: float = DEFAULT_RETRY_BUDGET
    """Seconds one request may take with all its retries: no retry starts after this."""
    retry_mode: str = "standard"
    """botocore's retry mode: ``standard`` or ``adaptive`` (client-side rate limiting too)."""

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "retry_budget"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
                raise ClientSettingError(name, f"must be a positive number of seconds (got {value!r})")
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ClientSettingError("max_attempts", f"must be a whole number (got {self.max_attempts!r})")
        if self.max_attempts < 1:
            raise ClientSettingError("max_attempts", "must be at least 1")
        if self.retry_mode not in RETRY_MODES:
            raise ClientSettingError(
                "retry_mode", f"must be one of {', '.join(RETRY_MODES)} (got {self.retry_mode!r})"
            )


class ClientSettingError(DataproductError, ValueError):
    """A :class:`ClientSettings` value that cannot be used; ``field`` names it (also a ``ValueError``,
    as Python code constructing the settings expects of a bad value)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason, field=field)
        self.reason = reason


class CallRecorder(Protocol):
    """Receives every API call (``service.Operation``) and every retry of one."""

    def add_call(self, name: str) -> None: ...

    def add_retry(self, name: str) -> None: ...


class IncompleteReply(Exception):
    """A reply that did not arrive whole or could not be parsed, after every attempt: not an answer."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"incomplete reply to {operation}: {reason}")
        self.operation = operation
        self.reason = reason


def reply_problem(response_dict: dict[str, Any], operation_model: Any) -> str | None:
    """Why a (non-streamed) reply cannot be read as the whole answer; None when it can."""
    if operation_model.has_streaming_output:
        return None  # the body is read later, by StreamingBody, which checks its length itself
    body = response_dict.get("body") or b""
    headers = response_dict.get("headers") or {}
    status = int(response_dict.get("status_code") or 0)
    declared = headers.get("content-length")
    if declared is not None and operation_model.http.get("method") != "HEAD" and status not in (204, 304):
        try:
            expected = int(declared)
        except ValueError:
            return f"Content-Length {declared!r} is not a number"
        if len(body) != expected:
            return f"{len(body)} of the {expected} bytes its Content-Length announces arrived"
    if body and operation_model.service_model.resolved_protocol == "json":
        try:
            parsed = json.loads(body)
        except ValueError:
            return "the body is not valid JSON"
        if not isinstance(parsed, dict):
            return "the body is not a JSON object"
    return None


def make_client(
    session: Any,
    service: str,
    settings: ClientSettings | None = None,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    pool_size: int = 10,
    recorder: CallRecorder | None = None,
    user_agent_extra: str | None = None,
    s3_path_style: bool = False,
) -> Any:
    """A boto3 client of ``service`` from ``session`` with ``settings`` and the reply check.

    Without ``endpoint_url`` boto3 applies its standard configuration chain, including
    ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>``.
    """
    from botocore.config import Config

    settings = settings or ClientSettings()
    config = Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
        max_pool_connections=max(10, pool_size),
        user_agent_extra=user_agent_extra,
        s3={"addressing_style": "path"} if s3_path_style else None,
    )
    kwargs: dict[str, Any] = {"config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    if region:
        kwargs["region_name"] = region
    client = session.client(service, **kwargs)
    _Guard(client, settings, recorder).register()
    return client


class _Guard:
    """The event handlers :func:`make_client` puts on one client."""

    def __init__(self, client: Any, settings: ClientSettings, recorder: CallRecorder | None) -> None:
        self.client = client
        self.settings = settings
        self.recorder = recorder
        self.service = client.meta.service_model.service_id.hyphenize()

    def register(self) -> None:
        events = self.client.meta.events
        events.register(f"before-call.{self.service}", self.before_call)
        events.register(f"request-created.{self.service}", self.request_created)
        events.register(f"before-parse.{self.service}", self.before_parse)
        # Before botocore's own retry handler (registered on the same event): the first handler that
        # answers decides.
        events.register_first(f"needs-retry.{self.service}", self.needs_retry)
        events.register(f"after-call.{self.service}", self.after_call)

    def before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        context[_STARTED] = time.monotonic()
        if self.recorder is not None:
            self.recorder.add_call(f"{self.service}.{model.name}")

    def request_created(self, request: Any, operation_name: str | None = None, **_: Any) -> None:
        context = getattr(request, "context", None) or {}
        attempt = (context.get("retries") or {}).get("attempt", 1)
        if attempt <= 1:
            return
        if self._spent(context) and _LAST in context:  # the back-off ran past the budget
            response, caught_exception = context[_LAST]
            self._give_up(response, caught_exception, operation_name or "?")
        if self.recorder is not None:
            self.recorder.add_retry(f"{self.service}.{operation_name}")

    def _spent(self, context: dict[str, Any]) -> bool:
        started = context.get(_STARTED)
        return started is not None and time.monotonic() - started >= self.settings.retry_budget

    def _give_up(self, response: Any, caught_exception: BaseException | None, operation_name: str) -> None:
        """End the call with what its last attempt got."""
        if caught_exception is not None:
            raise caught_exception
        parsed = response[1] if response is not None else {}
        if isinstance(parsed, dict) and _INCOMPLETE in parsed:
            raise IncompleteReply(f"{self.service}.{operation_name}", str(parsed[_INCOMPLETE]))
        code = str((parsed or {}).get("Error", {}).get("Code") or "")
        raise self.client.exceptions.from_code(code)(parsed, operation_name)

    def before_parse(
        self,
        operation_model: Any,
        response_dict: dict[str, Any],
        customized_response_dict: dict[str, Any],
        **_: Any,
    ) -> None:
        problem = reply_problem(response_dict, operation_model)
        if problem is None:
            return
        customized_response_dict[_INCOMPLETE] = problem
        # What is there is not parsed into an answer (a cut-off XML body would otherwise raise from
        # the parser, a cut-off JSON body would parse as an empty answer).
        response_dict["body"] = b""

    def needs_retry(
        self,
        response: Any,
        attempts: int,
        caught_exception: BaseException | None,
        request_dict: dict[str, Any],
        operation: Any,
        **kwargs: Any,
    ) -> float | None:
        context = request_dict["context"]
        context[_LAST] = (response, caught_exception)
        spent = self._spent(context)
        parsed = response[1] if response is not None else None
        if isinstance(parsed, dict) and _INCOMPLETE in parsed:
            if attempts < self.settings.max_attempts and not spent:
                return random.random() * min(0.1 * 2 ** (attempts - 1), 20.0)
            return None  # after-call raises IncompleteReply
        if spent and self._would_retry(response, attempts, caught_exception, request_dict, operation):
            self._give_up(response, caught_exception, operation.name)
        return None

    @staticmethod
    def _would_retry(
        response: Any,
        attempts: int,
        caught_exception: BaseException | None,
        request_dict: dict[str, Any],
        operation: Any,
    ) -> bool:
        from botocore.retries import standard

        context = standard.RetryEventAdapter().create_retry_context(
            response=response,
            attempts=attempts,
            caught_exception=caught_exception,
            request_dict=request_dict,
            operation=operation,
        )
        return bool(standard.StandardRetryConditions(max_attempts=attempts + 1).is_retryable(context))

    def after_call(self, parsed: Any, model: Any, **_: Any) -> None:
        if isinstance(parsed, dict) and _INCOMPLETE in parsed:
            raise IncompleteReply(f"{self.service}.{model.name}", str(parsed[_INCOMPLETE]))
