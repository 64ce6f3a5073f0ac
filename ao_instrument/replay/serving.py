"""Replayed calls answered at the SDK's HTTP transport.

While an instrumented SDK call runs under `serving(call, body)`, the SDK's HTTP client (`httpx2`, and
`httpx` where an SDK still uses it) does not reach the network for a call the plan serves: `send` returns
a response built from the recording (or from the edited output), JSON for a plain request and server-sent
events for a streamed one, so the SDK builds its own objects from it (models, streams, the `stream()`
helpers, `with_raw_response`). For an edited input, the request's JSON body is replaced before it is sent
live. Whatever fails here falls back to sending the request as the program made it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import import_module
from typing import Any

from wrapt import wrap_function_wrapper

from ao_instrument.genai.call_span import LLMCall
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.replay_body import ReplayBody, server_sent_events
from ao_instrument.replay.plan import Decision

# The HTTP client modules the SDKs send with: httpx2 now, httpx in older SDK releases.
_TRANSPORTS = ("httpx2", "httpx")
_REPLAY_HEADER = "x-ao-replay"


class Serving:
    """One call's part in the replay, while its SDK request is being made."""

    __slots__ = ("call", "decision", "body")

    def __init__(self, call: LLMCall, decision: Decision, body: ReplayBody) -> None:
        self.call = call
        self.decision = decision
        self.body = body

    def response(self, http: Any, request: Any) -> Any:
        """The HTTP response that answers `request` from the recording or the edit."""
        sent = _json_body(request)
        decision, body = self.decision, self.body
        edit = decision.edit or {}
        if isinstance(edit.get("response"), dict):
            answer = dict(edit["response"])
        else:
            assert decision.recorded is not None
            answer = body.response(decision.recorded.attributes, sent)
            if isinstance(edit.get("text"), str):
                answer = body.with_output_text(answer, edit["text"])
        if sent.get("stream") is True:
            content = server_sent_events(body.events(answer, sent), done=body.done_marker)
            content_type = "text/event-stream"
        else:
            content = json.dumps(answer, separators=(",", ":")).encode()
            content_type = "application/json"
        headers = {"content-type": content_type, _REPLAY_HEADER: decision.kind}
        return http.Response(200, headers=headers, content=content, request=request)

    def edited_request(self, http: Any, request: Any) -> Any:
        """`request` with the edited input as its JSON body (transport fields such as `stream` kept)."""
        sent = _json_body(request)
        edit = self.decision.edit or {}
        if isinstance(edit.get("request"), dict):
            edited = {**edit["request"], **{k: sent[k] for k in ("stream", "stream_options") if k in sent}}
        else:
            edited = self.body.with_input_text(sent, str(edit.get("text", "")))
        call = self.call
        if call.capture:
            try:
                messages = self.body.input_messages(edited)
                if messages is not None:
                    call.span.set_attribute(sc.INPUT_MESSAGES, call.telemetry.policy.dumps(messages))
            except Exception:
                report_internal_error("recording an edited input")
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
        return http.Request(request.method, request.url, headers=headers, json=edited, extensions=request.extensions)


def _json_body(request: Any) -> dict[str, Any]:
    body = json.loads(request.content or b"{}")
    if not isinstance(body, dict):
        raise ValueError("the request body is not a JSON object")
    return body


_current: ContextVar[Serving | None] = ContextVar("ao_replay_serving", default=None)


@contextmanager
def serving(call: LLMCall | None, body: ReplayBody | None) -> Iterator[None]:
    """Around an SDK call's request: serve it, or send its edited input, as the replay plan decided."""
    decision = call.replay if call is not None else None
    if decision is None or body is None or not (decision.served or decision.kind == "edited_input"):
        yield
        return
    _install()
    token = _current.set(Serving(call, decision, body))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _current.reset(token)


def _exchange(http: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
    """(a served response or None, and the arguments `send` goes on with)."""
    active = _current.get()
    if active is None:
        return None, args, kwargs
    _current.set(None)  # one request per call: the SDK's retries and any other request go as they are
    request = args[0] if args else kwargs.get("request")
    try:
        if active.decision.served:
            return active.response(http, request), args, kwargs
        edited = active.edited_request(http, request)
    except Exception:
        report_internal_error("serving a replayed call")
        return None, args, kwargs
    return None, (edited, *args[1:]) if args else args, kwargs if args else {**kwargs, "request": edited}


def _sync_send(http: Any) -> Callable[..., Any]:
    def send(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        response, args, kwargs = _exchange(http, args, kwargs)
        return response if response is not None else wrapped(*args, **kwargs)

    return send


def _async_send(http: Any) -> Callable[..., Any]:
    async def send(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        response, args, kwargs = _exchange(http, args, kwargs)
        return response if response is not None else await wrapped(*args, **kwargs)

    return send


_installed = False
_install_lock = threading.Lock()


def _install() -> None:
    """Wrap `send` of the HTTP clients, once per process and only in a replay."""
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        for name in _TRANSPORTS:
            try:
                http = import_module(name)
            except ImportError:
                continue
            wrap_function_wrapper(http, "Client.send", _sync_send(http))
            wrap_function_wrapper(http, "AsyncClient.send", _async_send(http))
        _installed = True
