"""What the OpenAI and Anthropic instrumentors share: one LLM call span per SDK call (contract C2)."""

from ao_instrument.genai.call_span import LLMCall, LLMCallTelemetry
from ao_instrument.genai.capture import ContentPolicy, JsonText, content_policy

__all__ = ["LLMCall", "LLMCallTelemetry", "ContentPolicy", "JsonText", "content_policy"]
