"""Builders of OTLP export requests resembling what ao, OpenLLMetry, OpenInference and the Anthropic SDK emit."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from tests.support.otlp_values import attributes

T0 = 1_760_000_000_000_000_000  # 2025-10-09, ns
MS = 1_000_000
AO_SCOPE = "ao_instrument"


def trace_id() -> bytes:
    return os.urandom(16)


def span_id() -> bytes:
    return os.urandom(8)


def messages(*pairs: tuple[str, str]) -> str:
    """GenAI semconv input messages JSON from (role, text) pairs."""
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]} for role, text in pairs])


def output(text: str, finish: str = "stop") -> str:
    return json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": finish}])


@dataclass
class Link:
    trace_id: bytes
    span_id: bytes
    via: str = "taint"
    path: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


def span(
    name: str,
    trace: bytes,
    sid: bytes,
    *,
    parent: bytes = b"",
    start: int = T0,
    duration_ms: int = 10,
    attrs: dict[str, Any] | None = None,
    links: Sequence[Link] = (),
    events: Sequence[tuple[int, str, dict[str, Any]]] = (),
    kind: int = Span.SPAN_KIND_CLIENT,
    status: int = Status.STATUS_CODE_UNSET,
    status_message: str = "",
) -> Span:
    return Span(
        trace_id=trace,
        span_id=sid,
        parent_span_id=parent,
        name=name,
        kind=kind,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration_ms * MS,
        attributes=attributes(attrs or {}),
        links=[
            Span.Link(
                trace_id=link.trace_id,
                span_id=link.span_id,
                attributes=attributes(
                    {"ao.link.type": "dataflow", "ao.dataflow.via": link.via, "ao.dataflow.path": link.path or None, **link.attributes}
                ),
            )
            for link in links
        ],
        events=[Span.Event(time_unix_nano=t, name=n, attributes=attributes(a)) for t, n, a in events],
        status=Status(code=status, message=status_message),
    )


def ao_call(
    trace: bytes,
    sid: bytes,
    run_id: str,
    *,
    parent: bytes = b"",
    start: int = T0,
    duration_ms: int = 10,
    model: str = "gpt-4o-2024-08-06",
    provider: str = "openai",
    prompt: str = "hello",
    answer: str = "hi",
    input_tokens: int | None = 100,  # None: the span reports no usage
    output_tokens: int | None = 20,
    cache_read: int | None = None,
    call_key: str = "k",
    cached: bool = False,
    links: Sequence[Link] = (),
    extra: dict[str, Any] | None = None,
    status: int = Status.STATUS_CODE_UNSET,
) -> Span:
    """An ao LLM call span per C2."""
    return span(
        f"chat {model}",
        trace,
        sid,
        parent=parent,
        start=start,
        duration_ms=duration_ms,
        status=status,
        attrs={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "gen_ai.response.model": model,
            "gen_ai.response.id": "resp-1",
            "gen_ai.response.finish_reasons": ["stop"],
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": output_tokens,
            "gen_ai.usage.cache_read.input_tokens": cache_read,
            "gen_ai.input.messages": messages(("system", "be brief"), ("user", prompt)),
            "gen_ai.output.messages": output(answer),
            "gen_ai.request.temperature": 0.2,
            "server.address": "api.openai.com",
            "server.port": 443,
            "ao.run.id": run_id,
            "ao.call.key": call_key,
            "ao.call.cached": cached,
            "ao.taint.origins": [link.span_id.hex() for link in links] or None,
            **(extra or {}),
        },
        links=links,
    )


def run_root(
    trace: bytes, sid: bytes, run_id: str, name: str, *, start: int = T0, duration_ms: int = 1000,
    parent_run: str | None = None, replay_of: str | None = None, parent: bytes = b"",
    status: int = Status.STATUS_CODE_UNSET,
) -> Span:
    """The root span of an ao run (C4)."""
    return span(
        f"ao.run {name}", trace, sid, parent=parent, start=start, duration_ms=duration_ms, kind=Span.SPAN_KIND_INTERNAL,
        status=status,
        attrs={"ao.run.id": run_id, "ao.run.name": name, "ao.run.parent_id": parent_run, "ao.run.replay_of": replay_of},
    )


def openllmetry_call(trace: bytes, sid: bytes, *, start: int, prompt: str, answer: str, model: str = "gpt-4o-mini",
                     parent: bytes = b"", run_id: str | None = None) -> Span:
    """An older OpenLLMetry (traceloop) OpenAI chat span with indexed prompt/completion attributes."""
    return span(
        "openai.chat", trace, sid, parent=parent, start=start,
        attrs={
            "llm.request.type": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": model,
            "gen_ai.response.model": f"{model}-2024-07-18",
            "gen_ai.prompt.0.role": "system",
            "gen_ai.prompt.0.content": "You are terse.",
            "gen_ai.prompt.1.role": "user",
            "gen_ai.prompt.1.content": prompt,
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": answer,
            "gen_ai.completion.0.finish_reason": "stop",
            "gen_ai.usage.prompt_tokens": 50,
            "gen_ai.usage.completion_tokens": 10,
            "llm.request.functions.0.name": "lookup",
            "llm.request.functions.0.parameters": json.dumps({"type": "object"}),
            "ao.run.id": run_id,
        },
    )


def openinference_call(trace: bytes, sid: bytes, *, start: int, prompt: str, answer: str,
                       model: str = "claude-sonnet-4-5-20250929", parent: bytes = b"") -> Span:
    """An OpenInference LLM span with indexed llm.input_messages / llm.output_messages."""
    return span(
        "ChatCompletion", trace, sid, parent=parent, start=start, kind=Span.SPAN_KIND_INTERNAL,
        attrs={
            "openinference.span.kind": "LLM",
            "llm.provider": "anthropic",
            "llm.system": "anthropic",
            "llm.model_name": model,
            "llm.invocation_parameters": json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 100}),
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.contents.0.message_content.type": "text",
            "llm.input_messages.0.message.contents.0.message_content.text": prompt,
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": answer,
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "search",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": json.dumps({"q": "x"}),
            "llm.token_count.prompt": 1000,
            "llm.token_count.completion": 200,
            "llm.token_count.prompt_details.cache_read": 400,
            "llm.tools.0.tool.json_schema": json.dumps({"type": "function", "function": {"name": "search", "parameters": {}}}),
            "input.value": json.dumps({"messages": [{"role": "user", "content": prompt}]}),
            "input.mime_type": "application/json",
        },
    )


def anthropic_sdk_call(trace: bytes, sid: bytes, *, start: int, parent: bytes = b"") -> Span:
    """The Anthropic SDK's own span (scope com.anthropic.sdk.python), metadata only."""
    return span(
        "anthropic.messages.create", trace, sid, parent=parent, start=start,
        attrs={
            "gen_ai.provider.name": "anthropic",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "claude-haiku-4-5",
            "gen_ai.response.model": "claude-haiku-4-5-20251001",
            "gen_ai.usage.input_tokens": 1500,
            "gen_ai.usage.output_tokens": 30,
            "gen_ai.usage.cache_read.input_tokens": 1000,
            "gen_ai.usage.cache_write.input_tokens": 200,
            "anthropic.message.stop_reason": "end_turn",
            "server.address": "api.anthropic.com",
        },
    )


def request(
    spans: Sequence[Span],
    *,
    scope: str = AO_SCOPE,
    service: str = "agent",
    resource: dict[str, Any] | None = None,
) -> ExportTraceServiceRequest:
    """One request: one resource, one scope."""
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=attributes({"service.name": service, **(resource or {})})),
                scope_spans=[ScopeSpans(scope=InstrumentationScope(name=scope, version="1.0"), spans=list(spans))],
            )
        ]
    )
