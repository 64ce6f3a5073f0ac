"""FakeLLM: the fake OpenAI/Anthropic server, run in a background thread or in the foreground."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import uvicorn

from .app import build_app
from .replies import ErrorReply, FailedReply, MalformedKind, MalformedReply, Outcome, Reply, Rule, Script, ToolCall
from .request import Request, RequestLog
from .sse import HIDE_STREAM_CUT


class FakeLLM:
    """A local server speaking the OpenAI and Anthropic HTTP APIs with scripted, deterministic replies.

    Each generation request (chat completions, responses, messages) takes the next queued outcome,
    else the first rule that answers, else a default text derived from the request.
    """

    def __init__(
        self, port: int = 0, host: str = "127.0.0.1", *, rules: Iterable[Rule] = (), embedding_dims: int = 8
    ) -> None:
        self.host = host
        self.port = port
        self._script = Script(rules)
        self._log = RequestLog()
        self._app = build_app(self._script, self._log, embedding_dims)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeLLM:
        """Serve in a daemon thread; returns once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("FakeLLM is already running")
        sock = self._bind()
        self._server = self._make_server()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"fake-llm:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"FakeLLM failed to start on {self.host}:{self.port}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread (open streams are cut after a short grace period)."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=3)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=3)
        self._server = self._thread = None

    def serve_forever(self, on_ready: Callable[[FakeLLM], None] | None = None) -> None:
        """Serve in the current thread until SIGINT/SIGTERM; `on_ready(self)` runs once bound."""
        sock = self._bind()
        if on_ready is not None:
            on_ready(self)
        self._make_server().run(sockets=[sock])

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        return sock

    def _make_server(self) -> uvicorn.Server:
        logging.getLogger("uvicorn.error").addFilter(HIDE_STREAM_CUT)
        config = uvicorn.Config(
            self._app,
            host=self.host,
            port=self.port,
            http="h11",
            loop="asyncio",
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        return uvicorn.Server(config)

    # --- addresses ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    def env(self) -> dict[str, str]:
        """Environment variables pointing both SDKs at this server (for child processes)."""
        return {
            "OPENAI_BASE_URL": self.openai_base_url,
            "OPENAI_API_KEY": "sk-fake",
            "ANTHROPIC_BASE_URL": self.anthropic_base_url,
            "ANTHROPIC_API_KEY": "sk-ant-fake",
        }

    # --- scripting ----------------------------------------------------------------------------

    def enqueue(self, outcome: Outcome) -> None:
        """Queue any outcome for the next generation request (FIFO)."""
        self._script.enqueue(outcome)

    def reply(
        self,
        text: str | None = None,
        *,
        tool_calls: Iterable[ToolCall] = (),
        delay: float = 0.0,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        truncated: bool = False,
        filtered: bool = False,
    ) -> None:
        """Queue a text reply (with optional tool calls alongside); see `Reply`."""
        self.enqueue(Reply(text, tuple(tool_calls), delay, input_tokens, output_tokens, truncated, filtered))

    def reply_tool_call(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        *,
        id: str | None = None,
        text: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue a reply calling one tool (OpenAI tool_calls / function_call item, Anthropic tool_use)."""
        self.enqueue(Reply(text, (ToolCall(name, arguments or {}, id),), delay))

    def error(
        self,
        status: int = 500,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue an HTTP error in the provider's format (429 defaults to retry-after 0.1 s)."""
        self.enqueue(ErrorReply(status, message, retry_after, delay))

    def fail(self, code: str = "server_error", message: str | None = None, *, delay: float = 0.0) -> None:
        """Queue a model failure: a Responses API response with status "failed" and this error code
        (other APIs answer HTTP 500); see `FailedReply`."""
        self.enqueue(FailedReply(code, message, delay))

    def malformed(self, kind: MalformedKind = "json", *, delay: float = 0.0) -> None:
        """Queue a broken answer: "json" (invalid JSON), "schema" (wrong shape), "cut" (connection drop)."""
        self.enqueue(MalformedReply(kind, delay))

    def on(self, rule: Rule) -> Rule:
        """Add a rule: called with each request, returns an outcome or None (usable as a decorator)."""
        self._script.add_rule(rule)
        return rule

    @property
    def pending(self) -> int:
        """Number of queued outcomes not consumed yet."""
        return self._script.pending

    @property
    def requests(self) -> list[Request]:
        """Requests received since the last reset, oldest first."""
        return self._log.snapshot()

    def reset(self) -> None:
        """Forget queued outcomes, added rules and received requests (numbering restarts at 1)."""
        self._script.reset()
        self._log.clear()
