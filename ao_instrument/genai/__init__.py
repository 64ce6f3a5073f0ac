"""What the OpenAI and Anthropic instrumentors share: one LLM call span per SDK call (contract C2).

`call_span` (the call's span and its lifecycle), `capture` (content policy), `provider` (patching and
the call handler shared by both SDKs), `semconv` (attribute names), `peers` (other instrumentations of
the same SDKs), `origins`, `fail_open`. Importing the package loads none of them.
"""
