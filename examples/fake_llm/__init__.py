"""A local fake of the OpenAI and Anthropic HTTP APIs, for tests and demos."""

from .replies import ErrorReply, MalformedReply, Outcome, Reply, Rule, SubstringRule, ToolCall, load_rules
from .request import Request
from .server import FakeLLM

__all__ = [
    "ErrorReply",
    "FakeLLM",
    "MalformedReply",
    "Outcome",
    "Reply",
    "Request",
    "Rule",
    "SubstringRule",
    "ToolCall",
    "load_rules",
]
