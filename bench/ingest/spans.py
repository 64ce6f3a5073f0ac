"""Realistic LLM-call export requests for the ingest benchmark, cheap to stamp out in volume.

A template `ExportTraceServiceRequest` (one run: a root `ao.run` span and chat calls with GenAI attributes,
message content and dataflow links) is serialized once with placeholder ids; each new request is a copy
of those bytes with fresh trace id, span ids and run id written over the placeholders.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

_WORDS = ("agent plan tool search result summary context answer question retrieve document draft review "
          "critique revise final user assistant system weather city price order refund policy").split()


def _value(value: object) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, (list, tuple)):
        return AnyValue(array_value=ArrayValue(values=[_value(v) for v in value]))
    return AnyValue(string_value=str(value))


def _attrs(**items: object) -> list[KeyValue]:
    return [KeyValue(key=k.replace("__", "."), value=_value(v)) for k, v in items.items()]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _call_attributes(rng: random.Random, run_id: str, origins: list[str]) -> list[KeyValue]:
    model = rng.choice(["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5", "claude-haiku-4-5"])
    provider = "anthropic" if model.startswith("claude") else "openai"
    user = _text(rng, 90)
    answer = _text(rng, 60)
    attributes = dict(
        gen_ai__operation__name="chat",
        gen_ai__provider__name=provider,
        gen_ai__request__model=model,
        gen_ai__request__temperature=0.2,
        gen_ai__request__max_tokens=1024,
        gen_ai__response__id="resp_" + uuid.UUID(int=rng.getrandbits(128)).hex,
        gen_ai__response__model=model + "-2025",
        gen_ai__response__finish_reasons=["stop"],
        gen_ai__usage__input_tokens=rng.randint(200, 3000),
        gen_ai__usage__output_tokens=rng.randint(20, 600),
        server__address="api.example.test",
        server__port=443,
        gen_ai__system_instructions=json.dumps([{"type": "text", "content": "You are a careful agent. " + _text(rng, 20)}]),
        gen_ai__input__messages=json.dumps([{"role": "user", "parts": [{"type": "text", "content": user}]}]),
        gen_ai__output__messages=json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}]
        ),
        ao__run__id=run_id,
        ao__call__key=uuid.UUID(int=rng.getrandbits(128)).hex + uuid.UUID(int=rng.getrandbits(128)).hex,
        ao__call__cached=False,
        ao__taint__origins=origins,
    )
    return _attrs(**attributes)


class RunTemplate:
    """Serialized requests of one run's spans; `stamp()` returns a copy with fresh ids.

    `calls` LLM-call spans (plus a root span) are split over requests of `per_request` spans, as a
    BatchSpanProcessor would export them.
    """

    def __init__(self, calls: int, per_request: int = 512, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.calls = calls
        self.trace_placeholder = rng.randbytes(16)
        self.run_placeholder = uuid.UUID(int=rng.getrandbits(128)).hex
        self.span_placeholders = [rng.randbytes(8) for _ in range(calls + 1)]
        now = time.time_ns()
        root_id = self.span_placeholders[0]
        spans: list[Span] = []
        uses: list[set[int]] = [{0}]  # per span: the placeholder indexes its bytes contain
        root = Span(
            trace_id=self.trace_placeholder,
            span_id=root_id,
            name="ao.run bench",
            kind=Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=now,
            end_time_unix_nano=now + calls * 1_000_000 + 1,
            attributes=_attrs(ao__run__id=self.run_placeholder, ao__run__name="bench"),
        )
        spans.append(root)
        for i in range(1, calls + 1):
            sources = sorted({rng.randint(max(1, i - 8), i - 1) for _ in range(rng.randint(0, 2))}) if i > 1 else []
            uses.append({0, i, *sources})
            origin_ids = [self.span_placeholders[s] for s in sources]
            span = Span(
                trace_id=self.trace_placeholder,
                span_id=self.span_placeholders[i],
                parent_span_id=root_id,
                name="chat model",
                kind=Span.SPAN_KIND_CLIENT,
                start_time_unix_nano=now + i * 1_000_000,
                end_time_unix_nano=now + i * 1_000_000 + rng.randint(200_000, 900_000),
                attributes=_call_attributes(rng, self.run_placeholder, [o.hex() for o in origin_ids]),
            )
            for origin in origin_ids:
                link = span.links.add(trace_id=self.trace_placeholder, span_id=origin)
                link.attributes.extend(_attrs(ao__link__type="dataflow", ao__dataflow__via="taint",
                                              ao__dataflow__path="messages[0].content"))
            spans.append(span)
        self.requests: list[bytes] = []
        for start in range(0, len(spans), per_request):
            request = ExportTraceServiceRequest()
            resource_spans = request.resource_spans.add()
            resource_spans.resource.attributes.extend(
                _attrs(service__name="bench-agent", process__pid=4242,
                       process__command_args=["python", "agent.py", "--task", "bench"],
                       telemetry__sdk__language="python", telemetry__sdk__name="opentelemetry")
            )
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = "ao_instrument"
            scope_spans.scope.version = "0.1.0"
            scope_spans.spans.extend(spans[start : start + per_request])
            self.requests.append(request.SerializeToString())
        self._offsets = [
            self._find(data, set().union(*uses[start : start + per_request]))
            for data, start in zip(self.requests, range(0, len(spans), per_request))
        ]

    def _find(self, data: bytes, spans: set[int]) -> list[tuple[int, int, int]]:
        """(offset, kind, index) of every placeholder: 0 trace id, 1 run id, 2 span id, 3 span id in hex text."""
        needles = [(0, 0, self.trace_placeholder), (1, 0, self.run_placeholder.encode())]
        needles += [(2, i, self.span_placeholders[i]) for i in sorted(spans)]
        needles += [(3, i, self.span_placeholders[i].hex().encode()) for i in sorted(spans)]
        found: list[tuple[int, int, int]] = []
        for kind, index, needle in needles:
            at = data.find(needle)
            while at >= 0:
                found.append((at, kind, index))
                at = data.find(needle, at + len(needle))
        return found

    def stamp(self) -> tuple[str, list[bytes]]:
        """A fresh copy of the run: its run id and its serialized requests."""
        run_id = uuid.uuid4().hex
        span_ids = [os.urandom(8) for _ in self.span_placeholders]
        values = {0: [os.urandom(16)], 1: [run_id.encode()], 2: span_ids, 3: [s.hex().encode() for s in span_ids]}
        out: list[bytes] = []
        for data, offsets in zip(self.requests, self._offsets):
            buffer = bytearray(data)
            for at, kind, index in offsets:
                value = values[kind][index]
                buffer[at : at + len(value)] = value
            out.append(bytes(buffer))
        return run_id, out
