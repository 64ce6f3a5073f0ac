"""A local fake of the OpenAI and Anthropic HTTP APIs, for tests and demos.

    fake = FakeLLM().start()              # or `with FakeLLM() as fake:`; random free port on 127.0.0.1
    openai.OpenAI(base_url=fake.openai_base_url, api_key="k")
    anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="k")
    fake.reply("text"); fake.reply_tool_call("name", {"arg": 1}); fake.error(429); fake.malformed("cut")
    fake.fail("server_error")                # a Responses API response with status "failed"
    fake.on(lambda request: Reply("...") if "x" in request.last_user_text else None)
    fake.requests; fake.reset(); fake.stop()

Generation requests take the next queued outcome, else the first answering rule, else
"reply N to: <start of the last user message>" (or JSON fitting a requested schema).
Other processes drive a running server through POST /_fake/replies, POST /_fake/rules,
GET /_fake/requests and POST /_fake/reset; `python -m fake_llm --help` runs one from the shell.
"""

from .replies import (
    ErrorReply,
    FailedReply,
    MalformedReply,
    Outcome,
    Reply,
    Rule,
    SubstringRule,
    ToolCall,
    load_rules,
)
from .request import Request
from .server import FakeLLM

__all__ = [
    "ErrorReply",
    "FailedReply",
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
