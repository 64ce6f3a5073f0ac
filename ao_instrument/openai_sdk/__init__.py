"""OpenTelemetry GenAI instrumentation of the OpenAI Python SDK (sync and async clients).

Observed: `chat.completions.create` / `.parse` (and `.stream`, which calls `create`),
`responses.create` / `.parse` / `.stream`, `embeddings.create`, also through `with_raw_response` and
`with_streaming_response`, whose span ends when the user reads the body (`genai.raw_response`).

    from ao_instrument.openai_sdk import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=..., meter_provider=...)

A chat stream whose request did not ask for usage is asked for it (`stream_options.include_usage`), so
that its span has token counts; the usage-only chunk this adds never reaches the program
(`AO_STREAM_USAGE=off` turns this off; raw responses are sent as the program made them).

The package is the OpenAI adapter of ao's provider contract (`genai.provider`): `PROVIDER` declares it,
`patch.ADAPTER` lists the methods and how their requests and results are read.

`instrument()` does not import the SDK: its methods are wrapped when the program imports `openai`
(at once when it already has), so a program that never uses it pays nothing for it.
"""

from __future__ import annotations

from ao_instrument.genai.provider import VERSION as __version__
from ao_instrument.genai.provider import Provider, ProviderInstrumentor

__all__ = ["OpenAIInstrumentor", "PROVIDER"]

# The adapter (`patch.ADAPTER`) is imported when the program imports the SDK.
PROVIDER = Provider("openai", "openai", "openai >= 2", "ao_instrument.openai_sdk.patch", "the OpenAI SDK")


class OpenAIInstrumentor(ProviderInstrumentor):
    """One GenAI CLIENT span per OpenAI SDK call, with the GenAI client metrics."""

    provider = PROVIDER
