"""Constants and helpers of the Anthropic instrumentation tests."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support.instrumentation import Telemetry

SDK_SCOPE = "com.anthropic.sdk.python"
MODEL = "claude-test"
HELLO = [{"role": "user", "content": "hello there"}]


@dataclass
class SdkTelemetry(Telemetry):
    """ao's spans and metrics in one test, and the global provider's (the SDK's own) spans."""

    global_exporter: InMemorySpanExporter

    def __post_init__(self) -> None:
        self.global_exporter.clear()

    def span(self) -> ReadableSpan:
        """The one LLM span of the test: exactly one ao span, and no span of the SDK's own beside it."""
        assert self.sdk_spans() == []
        return super().span()

    def sdk_spans(self) -> list[ReadableSpan]:
        return [s for s in self.global_exporter.get_finished_spans() if s.instrumentation_scope.name == SDK_SCOPE]


class CannedServer:
    """Answers every POST with the body queued for it: JSON, or server-sent events when the request streams."""

    def __init__(self) -> None:
        self.message: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                request = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if request.get("stream"):
                    body = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in canned.events).encode()
                    kind = "text/event-stream"
                else:
                    body, kind = json.dumps(canned.message).encode(), "application/json"
                self.send_response(200)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
