"""OTLP/HTTP receiver: `POST /v1/traces`, `/v1/metrics`, `/v1/logs`, protobuf or JSON, optionally gzip/deflate
compressed."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable, Mapping

from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import code_pb2, status_pb2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ao_collector.pipeline.writer import Backpressure, Pipeline
from ao_collector.auth import bearer_ok
from ao_collector.receiver.http_limits import BudgetExhausted, ByteBudget, ReadLimits, SlowBody, read_body
from ao_collector.receiver.otlp import (
    DEFAULT_MAX_BODY,
    BadRequest,
    TooLarge,
    UnsupportedEncoding,
    decompress,
    parse_json,
    parse_protobuf,
    store_payload,
    validate,
)
from ao_collector.receiver.otlp_signals import Intake, Signal

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_PROTOBUF_TYPES = {PROTOBUF, "application/protobuf"}

_GRPC_CODES = {
    400: code_pb2.INVALID_ARGUMENT,
    408: code_pb2.DEADLINE_EXCEEDED,
    404: code_pb2.NOT_FOUND,
    405: code_pb2.UNIMPLEMENTED,
    413: code_pb2.RESOURCE_EXHAUSTED,
    415: code_pb2.INVALID_ARGUMENT,
    429: code_pb2.RESOURCE_EXHAUSTED,
    503: code_pb2.UNAVAILABLE,
}


def _error(status: int, message: str, media_type: str = JSON, headers: dict[str, str] | None = None) -> Response:
    """An OTLP error response: a google.rpc.Status in the request's encoding."""
    body = status_pb2.Status(code=_GRPC_CODES.get(status, code_pb2.UNKNOWN), message=message)
    if media_type == PROTOBUF:
        return Response(body.SerializeToString(), status, headers=headers, media_type=PROTOBUF)
    content = json.dumps({"code": body.code, "message": message})
    return Response(content, status, headers=headers, media_type=JSON)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class HttpReceiver:
    """The Starlette application of the OTLP/HTTP receiver."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        signals: Mapping[Signal, Intake] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        max_concurrent: int = 8,
        token: str | None = None,
        limits: ReadLimits = ReadLimits(),
    ) -> None:
        """`pipeline` takes traces; `signals` the intake of each other signal taken (none: traces only)."""
        self.pipeline = pipeline
        self.token = token
        self.max_body = max_body
        self.limits = limits
        # Bodies being received hold at most max_concurrent x max_body bytes together (a slow sender holds only
        # what it sent); over that, exports get 429. Only this many are decoded at once (each about 2 x its body).
        self._budget = ByteBudget(max_concurrent * max_body)
        self._slots = asyncio.Semaphore(max_concurrent)
        routes = [Route("/v1/traces", self.export, methods=["POST"])]
        routes += [Route(signal.path, self._signal_endpoint(signal, intake), methods=["POST"])
                   for signal, intake in (signals or {}).items()]
        self.paths = [route.path for route in routes]
        self.app = Starlette(routes=routes, exception_handlers={HTTPException: self._http_error})

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            message = f"no such path {request.url.path}; OTLP exports go to POST {', '.join(self.paths)}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed here; use POST"
        else:
            message = str(exc.detail)
        return _error(exc.status_code, message, headers=exc.headers)

    async def export(self, request: Request) -> Response:
        """`POST /v1/traces`."""
        return await self._export(request, self._accept)

    def _signal_endpoint(self, signal: Signal, intake: Intake) -> Callable[[Request], Awaitable[Response]]:
        async def export(request: Request) -> Response:
            def accept(body: bytes, encoding: str, answer_type: str) -> Message:
                return signal.accept(decompress(body, encoding, self.max_body), answer_type == JSON, intake)

            return await self._export(request, accept)

        return export

    async def _export(self, request: Request, accept: Callable[[bytes, str, str], Message]) -> Response:
        """Read, decode and spool one export (`accept` does the last two in a worker thread: the spool may fsync)."""
        if not bearer_ok(request.headers.get("authorization"), self.token):
            return _error(401, "missing or wrong bearer token (AO_API_TOKEN)", headers={"WWW-Authenticate": "Bearer"})
        media_type = _media_type(request)
        if media_type in _PROTOBUF_TYPES:
            answer_type = PROTOBUF
        elif media_type == JSON:
            answer_type = JSON
        else:
            return _error(415, f"unsupported Content-Type {media_type!r}; use {PROTOBUF} or {JSON}")
        encoding = request.headers.get("content-encoding", "")
        held: list[int] = []
        try:
            body = await self._read_body(request, held)
            async with self._slots:
                response = await run_in_threadpool(accept, body, encoding, answer_type)
        except SlowBody as exc:
            return _error(408, str(exc), answer_type, {"Connection": "close"})
        except BudgetExhausted as exc:
            return _error(429, f"{exc}; retry in 1s", answer_type, {"Retry-After": "1", "Connection": "close"})
        except TooLarge as exc:
            return _error(413, str(exc), answer_type)
        except UnsupportedEncoding as exc:
            return _error(415, str(exc), answer_type)
        except BadRequest as exc:
            return _error(400, str(exc), answer_type)
        except Backpressure as exc:
            seconds = str(max(1, math.ceil(exc.retry_after)))
            status = 503 if exc.unavailable else 429
            return _error(status, f"{exc}; retry in {seconds}s", answer_type, {"Retry-After": seconds})
        finally:
            self._budget.give_back(sum(held))
        if answer_type == PROTOBUF:
            return Response(response.SerializeToString(), media_type=PROTOBUF)
        return Response(json_format.MessageToJson(response, indent=None), media_type=JSON)

    async def _read_body(self, request: Request, held: list[int]) -> bytes:
        """The raw body, refusing more than the cap before reading it all, read within `self.limits`."""
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                raise BadRequest(f"invalid Content-Length {declared!r}") from None
            if length > self.max_body:
                raise TooLarge(f"body of {length} bytes is over the {self.max_body}-byte cap")
        chunks: list[bytes] = []
        size = 0
        async for chunk in read_body(request.stream(), self.limits, self._budget, held):
            size += len(chunk)
            if size > self.max_body:
                raise TooLarge(f"body is over the {self.max_body}-byte cap")
            chunks.append(chunk)
        return b"".join(chunks)

    def _accept(self, body: bytes, encoding: str, answer_type: str) -> Message:
        """Decode, validate and spool one trace request."""
        body = decompress(body, encoding, self.max_body)
        if answer_type == PROTOBUF:
            request = parse_protobuf(body)
            accepted = validate(request, body)
        else:
            request = parse_json(body)
            accepted = validate(request, None)
        if accepted.payload is not None:
            accepted.payload = store_payload(request, accepted.payload, self.pipeline.check)
            self.pipeline.submit(accepted.payload, accepted.spans)
        return accepted.response()
