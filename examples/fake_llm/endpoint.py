"""What an API endpoint must provide, and how an outcome becomes an HTTP response."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable

from starlette.responses import JSONResponse, Response

from .replies import ErrorReply, FailedReply, MalformedKind, MalformedReply, Outcome, Reply, default_reply
from .request import Request
from .sse import Event, stream_response

# Deterministic "created" timestamps: BASE_TIME + request number.
BASE_TIME = 1_750_000_000


@dataclass(frozen=True)
class Endpoint:
    """One fake API route: renders replies (whole or streamed) and errors in its provider's format."""

    path: str
    render: Callable[[Request, Reply], dict[str, Any]]
    error_body: Callable[[int, str], dict[str, Any]]
    request_id_header: str
    render_stream: Callable[[Request, Reply], list[Event]] | None = None
    uses_queue: bool = True
    # A failed answer (the API has a failed status): whole, and streamed.
    render_failed: Callable[[Request, FailedReply], dict[str, Any]] | None = None
    render_failed_stream: Callable[[Request, FailedReply], list[Event]] | None = None

    def respond(self, request: Request, outcome: Outcome) -> Response:
        headers = {self.request_id_header: f"req_fake{request.number}"}
        if isinstance(outcome, ErrorReply):
            return self._error(outcome, headers)
        if isinstance(outcome, FailedReply):
            return self._failed(request, outcome, headers)
        reply = outcome if isinstance(outcome, Reply) else default_reply(request)
        events = self.render_stream(request, reply) if self.render_stream and request.stream else None
        if isinstance(outcome, MalformedReply):
            return self._malformed(request, reply, outcome.kind, events, headers)
        if events is not None:
            return stream_response([event.encode() for event in events], headers=headers)
        return JSONResponse(self.render(request, reply), headers=headers)

    def _failed(self, request: Request, failure: FailedReply, headers: dict[str, str]) -> Response:
        message = failure.message or f"The model failed to answer (fake {failure.code})."
        if self.render_failed_stream is not None and request.stream:
            events = self.render_failed_stream(request, failure)
            return stream_response([event.encode() for event in events], headers=headers)
        if self.render_failed is not None:
            return JSONResponse(self.render_failed(request, failure), headers=headers)
        return self._error(ErrorReply(500, message), headers)

    def bad_request(self, request: Request, message: str) -> Response:
        return self._error(ErrorReply(400, message), {self.request_id_header: f"req_fake{request.number}"})

    def _error(self, error: ErrorReply, headers: dict[str, str]) -> Response:
        message = error.message or _DEFAULT_MESSAGES.get(error.status, f"fake error {error.status}")
        retry_after = error.retry_after
        if retry_after is None and error.status == 429:
            retry_after = 0.1
        if retry_after is not None:
            headers["retry-after"] = str(math.ceil(retry_after))
            headers["retry-after-ms"] = str(round(retry_after * 1000))
        return JSONResponse(self.error_body(error.status, message), status_code=error.status, headers=headers)

    def _malformed(
        self,
        request: Request,
        reply: Reply,
        kind: MalformedKind,
        events: list[Event] | None,
        headers: dict[str, str],
    ) -> Response:
        """The real answer cut short by invalid JSON or a dropped connection, or a wrong-shaped answer."""
        if events is not None:
            half = len(events) // 2
            chunks = [event.encode() for event in events[:half]]
            if kind == "json":
                chunks.append(Event('{"broken": ', events[half].name).encode())
            elif kind == "schema":
                chunks = [Event({"unexpected": True}, events[0].name).encode()]
            return stream_response(chunks, cut=kind == "cut", headers=headers)
        if kind == "schema":
            return JSONResponse({"unexpected": True}, headers=headers)
        head = json.dumps(self.render(request, reply)).encode()[:-20]
        if kind == "cut":
            return stream_response([head], cut=True, media_type="application/json", headers=headers)
        return Response(head, media_type="application/json", headers=headers)


_DEFAULT_MESSAGES = {
    400: "Invalid request (fake).",
    401: "Invalid API key (fake).",
    404: "Not found (fake).",
    429: "Rate limit reached (fake). Please try again later.",
    500: "The server had an error while processing your request (fake).",
    503: "The service is temporarily unavailable (fake).",
    529: "Overloaded (fake).",
}
