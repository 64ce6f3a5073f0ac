"""ao instrumentation of the Anthropic SDK: one GenAI `chat {model}` CLIENT span per Messages call.

Instrumented: `messages.create` (with and without `stream=True`), `messages.parse` and
`messages.stream(...)`, on `Anthropic` and `AsyncAnthropic`, also through `with_raw_response` and
`with_streaming_response`. A streamed call's span ends when its stream is exhausted, fails, is closed,
or is dropped and garbage-collected; a raw response's when its body is read, closed or dropped
(`genai.raw_response`).

The SDK's own tracing
---------------------
The SDK (2.x) starts its own CLIENT span per API call (scope `com.anthropic.sdk.python`) unless
told not to (`ANTHROPIC_OPEN_TELEMETRY=false`, or the client option `open_telemetry=False`). While
instrumented, ao's span is the only one: for an instrumented call the SDK is handed, instead of a
span of its tracer, a view of ao's span (`sdk_tracing.SdkSpanView`). So:

- everything the SDK records lands on ao's span: `anthropic.request.id`, cache and service tier
  attributes, `anthropic.message.stop_reason`, `http.*`, `url.*`, the resend count, time to first
  chunk, its content in its content mode (unless ao captures content, whose values then stand),
  events, and its status (OK, or ERROR for a stream cut short); where both set one attribute they
  agree, except `error.type`, where ao's (the exception class) stands and the SDK's is kept as
  `anthropic.error.type`;
- the trace context the SDK makes current and injects into request headers is ao's span's;
- it works alike whatever the SDK's tracer provider, content mode, propagation or retries, and
  whether or not the SDK's tracing is on, since ao's span starts before and ends after the SDK's
  part (ao ends a stream's span only after the SDK's stream observer ended; a dropped stream's
  observer is ended first);
- API calls that ao does not instrument (`count_tokens`, batches, beta, the tool runner's own
  spans) keep the SDK's own spans; on `uninstrument` the SDK is untouched again.

The package is the Anthropic adapter of ao's provider contract (`genai.provider`): `PROVIDER` declares
it, `patch.ADAPTER` lists the methods and how their requests and results are read; `call.TracedCall` is
its call object, which holds what the SDK's tracing reports. `instrument()` does not import the SDK:
its methods are wrapped when the program imports `anthropic` (at once when it already has).

The alternative, letting the SDK's span be the one span, was rejected: that span does not exist
when the SDK's tracing is off or its tracer provider is unset, uses another tracer provider than
the one ao is given, and starts after ao must have chosen its links.
"""

from __future__ import annotations

from ao_instrument.genai.provider import VERSION as __version__
from ao_instrument.genai.provider import Provider, ProviderInstrumentor

__all__ = ["AnthropicInstrumentor", "PROVIDER"]

# The adapter (`patch.ADAPTER`) is imported when the program imports the SDK. `ping` and `error` events
# of a raw streamed body are no items of the SDK's stream.
PROVIDER = Provider("anthropic", "anthropic", "anthropic >= 0.70", "ao_instrument.anthropic_sdk.patch",
                    "the Anthropic SDK", frozenset({"ping", "error"}))  # fmt: skip


class AnthropicInstrumentor(ProviderInstrumentor):
    """Instruments the Anthropic SDK's Messages API (sync and async)."""

    provider = PROVIDER
