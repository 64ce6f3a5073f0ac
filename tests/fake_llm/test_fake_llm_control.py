"""Rules, the request log, the HTTP control endpoint, the CLI, and the server lifecycle."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from fake_llm import ErrorReply, FakeLLM, Reply, Request, ToolCall

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def call(http_url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(http_url, data, {"content-type": "application/json"}, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def ask(client: openai.OpenAI, text: str, model: str = "gpt-4o") -> str:
    completion = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
    return completion.choices[0].message.content or ""


def test_rules_answer_from_the_request(fake: FakeLLM, oai: openai.OpenAI) -> None:
    @fake.on
    def planner(request: Request) -> Reply | None:
        return Reply("PLAN: " + request.last_user_text.upper()) if request.model == "planner" else None

    fake.on(lambda request: ErrorReply(503) if "overload" in request.last_user_text else None)
    assert ask(oai, "write a poem", model="planner") == "PLAN: WRITE A POEM"
    assert ask(oai, "write a poem") == "reply 2 to: write a poem"
    with pytest.raises(openai.InternalServerError):
        ask(oai, "please overload")
    fake.reply("queued wins")
    assert ask(oai, "anything", model="planner") == "queued wins"


def test_request_log(fake: FakeLLM, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    ask(oai, "logged question")
    claude.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    first, second = fake.requests
    assert (first.number, first.path, first.provider) == (1, "/v1/chat/completions", "openai")
    assert first.body["messages"] == [{"role": "user", "content": "logged question"}]
    assert first.headers["authorization"] == "Bearer sk-fake"
    assert (second.path, second.provider, second.model) == ("/v1/messages", "anthropic", "claude-haiku-4-5")
    assert "sk-ant-fake" in (second.headers.get("x-api-key"), second.headers.get("authorization", "").removeprefix("Bearer "))
    assert "anthropic-version" in second.headers
    fake.reset()
    assert fake.requests == []
    assert ask(oai, "again") == "reply 1 to: again"


def test_control_endpoint(fake: FakeLLM, oai: openai.OpenAI) -> None:
    queued = call(
        fake.url + "/_fake/replies",
        "POST",
        [
            {"text": "from control"},
            {"tool_call": {"name": "search", "arguments": {"q": "x"}}},
            {"text": {"answer": 42}},
            {"error": 429, "retry_after": 0.01},
            {"malformed": "json"},
            {"failed": "server_error", "message": "gave up"},
            {"text": "withheld", "filtered": True},
        ],
    )
    assert queued == {"pending": 7}
    assert call(fake.url + "/_fake/rules", "POST", {"rules": [{"match": "WEATHER", "text": "sunny"}]}) == {"added": 1}
    assert ask(oai, "q1") == "from control"
    tool = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "q2"}])
    assert tool.choices[0].message.tool_calls[0].function.name == "search"
    assert json.loads(ask(oai, "q3")) == {"answer": 42}
    with pytest.raises(openai.RateLimitError):
        ask(oai, "q4")
    with pytest.raises(json.JSONDecodeError):
        ask(oai, "q5")
    failed = oai.responses.create(model="m", input="q6")
    assert (failed.status, failed.error.code, failed.error.message) == ("failed", "server_error", "gave up")
    filtered = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "q7"}])
    assert filtered.choices[0].finish_reason == "content_filter"
    assert ask(oai, "what is the weather?") == "sunny"
    logged = call(fake.url + "/_fake/requests")
    assert [entry["body"]["messages"][0]["content"] for entry in logged[:2]] == ["q1", "q2"]
    assert logged[0]["path"] == "/v1/chat/completions" and logged[0]["number"] == 1
    assert call(fake.url + "/_fake/reset", "POST", {}) == {"reset": True}
    assert call(fake.url + "/_fake/requests") == []
    assert ask(oai, "what is the weather?") == "reply 1 to: what is the weather?"


def test_control_endpoint_rejects_bad_specs(fake: FakeLLM) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        call(fake.url + "/_fake/replies", "POST", {"nothing": True})
    assert raised.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as raised:
        call(fake.url + "/_fake/replies", "POST", {"failed": True})
    assert raised.value.code == 400


def test_unknown_path_is_a_json_404(fake: FakeLLM, oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        oai.models.list()


def test_cli_with_reply_file(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(
        json.dumps(
            {
                "rules": [
                    {"match": "weather", "tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                    {"match": "capital", "text": "Paris is the capital."},
                ]
            }
        )
    )
    command = [sys.executable, "-m", "fake_llm", "--port", "0", "--replies", str(replies)]
    process = subprocess.Popen(command, cwd=EXAMPLES, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        client = openai.OpenAI(base_url=url + "/v1", api_key="sk-fake", max_retries=0)
        assert ask(client, "What is the capital of France?") == "Paris is the capital."
        weather = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "weather?"}])
        assert weather.choices[0].message.tool_calls[0].function.arguments == '{"city": "Paris"}'
        call(url + "/_fake/replies", "POST", {"text": "driven from the test"})
        assert ask(client, "capital?") == "driven from the test"
        call(url + "/_fake/reset", "POST", {})
        assert ask(client, "capital?") == "Paris is the capital.", "reset keeps the reply file's rules"
        assert len(call(url + "/_fake/requests")) == 1
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_lifecycle_is_quick_and_servers_are_independent() -> None:
    started = time.monotonic()
    with FakeLLM(embedding_dims=4) as one, FakeLLM() as two:
        assert one.port != two.port
        one.reply("only on one")
        client_one = openai.OpenAI(base_url=one.openai_base_url, api_key="k", max_retries=0)
        client_two = openai.OpenAI(base_url=two.openai_base_url, api_key="k", max_retries=0)
        assert ask(client_two, "x") == "reply 1 to: x"
        assert ask(client_one, "x") == "only on one"
        assert len(client_one.embeddings.create(model="e", input="x").data[0].embedding) == 4
        port = one.port
    assert time.monotonic() - started < 3
    with pytest.raises(openai.APIConnectionError):
        client_one.with_options(timeout=1).chat.completions.create(model="m", messages=[])
    with FakeLLM(port=port) as again:
        assert again.port == port


def test_env_points_the_sdks_at_the_server(fake: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    assert ask(openai.OpenAI(max_retries=0), "from env") == "reply 1 to: from env"
    message = anthropic.Anthropic(max_retries=0).messages.create(
        model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "env"}]
    )
    assert message.content[0].text == "reply 2 to: env"


def test_reply_with_explicit_tool_calls(fake: FakeLLM, oai: openai.OpenAI) -> None:
    fake.reply(tool_calls=[ToolCall("a", {"x": 1}), ToolCall("b", {"y": 2}, id="call_b")])
    calls = oai.chat.completions.create(model="m", messages=[]).choices[0].message.tool_calls
    assert [(c.id, c.function.name) for c in calls] == [("call_fake1_0", "a"), ("call_b", "b")]
