"""Every SDK surface replays from the recording: the program gets the same values, from the SDK's own
types, and no request reaches the LLM. Real launcher and collector processes, the real SDKs, the fake server.
"""

from __future__ import annotations

from pathlib import Path

from fake_llm import FakeLLM

from tests.collector_service.helpers import CollectorProcess
from tests.replay.helpers import Agent, summary

PROGRAM = """
    import asyncio
    import anthropic, openai
    from anthropic.types import Message
    from openai.types import CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion

    oai, claude = openai.OpenAI(max_retries=0), anthropic.Anthropic(max_retries=0)
    chat = dict(model="gpt-4o-mini", messages=[{"role": "user", "content": "chat one"}])
    said = lambda prompt: [{"role": "user", "content": prompt}]
    out = {}

    reply = oai.chat.completions.create(**chat)
    out["chat"] = (type(reply) is ChatCompletion, reply.choices[0].message.content, reply.usage.completion_tokens)
    stream = oai.chat.completions.create(model="gpt-4o-mini", messages=said("chat stream"), stream=True,
                                         stream_options={"include_usage": True})
    chunks = list(stream)
    out["chat stream"] = ("".join(c.choices[0].delta.content or "" for c in chunks if c.choices), chunks[-1].usage.total_tokens)
    with oai.chat.completions.stream(model="gpt-4o-mini", messages=said("chat helper")) as helper:
        out["chat helper"] = helper.get_final_completion().choices[0].message.content
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=said("chat raw"))
    out["chat raw"] = (raw.headers.get("content-type"), raw.parse().choices[0].message.content)
    with oai.chat.completions.with_streaming_response.create(model="gpt-4o-mini", messages=said("chat raw stream"),
                                                             stream=True) as response:
        out["chat raw stream"] = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    out["responses"] = oai.responses.create(model="gpt-4o-mini", input="responses one").output_text
    events = oai.responses.create(model="gpt-4o-mini", input="responses stream", stream=True)
    out["responses stream"] = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    with oai.responses.stream(model="gpt-4o-mini", input="responses helper") as helper:
        out["responses helper"] = helper.get_final_response().output_text
    vectors = oai.embeddings.create(model="text-embedding-3-small", input=["apple", "pear"])
    out["embeddings"] = (type(vectors) is CreateEmbeddingResponse, [v.embedding for v in vectors.data])
    floats = oai.embeddings.create(model="text-embedding-3-small", input="plum", encoding_format="float")
    out["embeddings float"] = floats.data[0].embedding

    message = claude.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=said("claude one"))
    out["messages"] = (type(message) is Message, message.content[0].text, message.stop_reason, message.usage.output_tokens)
    raw = claude.messages.with_raw_response.create(model="claude-sonnet-4-5", max_tokens=50, messages=said("claude raw"))
    out["messages raw"] = raw.parse().content[0].text
    events = claude.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=said("claude events"), stream=True)
    out["messages events"] = [e.type for e in events]
    with claude.messages.stream(model="claude-sonnet-4-5", max_tokens=50, messages=said("claude helper")) as helper:
        final = helper.get_final_message()
        out["messages helper"] = (final.content[0].text, final.stop_reason)


    async def main():
        client, aclaude = openai.AsyncOpenAI(max_retries=0), anthropic.AsyncAnthropic(max_retries=0)
        reply = await client.chat.completions.create(model="gpt-4o-mini", messages=said("async chat"))
        out["async chat"] = reply.choices[0].message.content
        stream = await client.responses.create(model="gpt-4o-mini", input="async responses", stream=True)
        out["async responses stream"] = [e.type async for e in stream]
        async with aclaude.messages.stream(model="claude-sonnet-4-5", max_tokens=50, messages=said("async claude")) as s:
            out["async messages helper"] = "".join([text async for text in s.text_stream])


    asyncio.run(main())
    for name, value in out.items():
        print(f"{name}: {value!r}")
"""
CALLS = 17


def test_every_surface_replays_from_the_recording_without_network(
    tmp_path: Path, collector: CollectorProcess, llm: FakeLLM
) -> None:
    agent = Agent(tmp_path, collector, llm, "surfaces", PROGRAM, calls=CALLS)
    recorded, first = agent.run()
    assert len(llm.requests) == CALLS
    assert "about chat one" in first.stdout and "'message_stop'" in first.stdout

    replayed, again = agent.run("--replay", recorded, command=False)

    assert len(llm.requests) == CALLS  # nothing reached the LLM
    assert again.stdout.splitlines() == first.stdout.splitlines()
    assert summary(again) == f"{CALLS} calls cached, 0 edited, 0 live, 0 new"
    calls = agent.calls(replayed)
    assert all(call["cached"] for call in calls)
    assert [call["output"] for call in calls] == [call["output"] for call in agent.calls(recorded)]
