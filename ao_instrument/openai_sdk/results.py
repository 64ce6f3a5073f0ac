"""Ending a call's span from a whole SDK result: chat completion, response, embeddings."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.trace import Status, StatusCode

from ao_instrument.genai.call_span import LLMCall
from ao_instrument.genai import semconv as sc
from ao_instrument.openai_sdk import attributes as attrs
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.openai_sdk import messages
from ao_instrument.openai_sdk.replay_bodies import encode_vector


def finish_chat(call: LLMCall, completion: Any) -> None:
    attributes, input_tokens, output_tokens = attrs.chat_response(completion)
    output = messages.chat_output(completion.choices) if call.capture else None
    call.finish(attributes, output, input_tokens, output_tokens)


def finish_responses(call: LLMCall, response: Any) -> None:
    attributes, input_tokens, output_tokens = attrs.responses_response(response)
    reason = attributes[sc.RESPONSE_FINISH_REASONS][0]
    if reason == "error":
        error = getattr(response, "error", None)
        attributes[sc.ERROR_TYPE] = str(getattr(error, "code", None) or "response_failed")
        call.span.set_status(Status(StatusCode.ERROR, str(getattr(error, "message", ""))[:512]))
    output = messages.responses_output(response.output or (), reason) if call.capture else None
    call.finish(attributes, output, input_tokens, output_tokens)


def finish_embeddings(call: LLMCall, result: Any) -> None:
    attributes, input_tokens, _ = attrs.embeddings_response(result)
    if call.capture:
        try:
            vectors = json.dumps([encode_vector(item.embedding) for item in result.data or ()])
        except Exception:
            report_internal_error("recording embeddings")
        else:
            if len(vectors) <= call.telemetry.policy.max_bytes:  # never cut: a replay serves them whole or not
                attributes[sc.AO_EMBEDDINGS_OUTPUT] = vectors
    call.finish(attributes, None, input_tokens)
