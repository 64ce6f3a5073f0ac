"""A small research agent: plan with OpenAI, research each step with Anthropic, summarise with OpenAI.

Its dataflow: the plan reaches both research calls, both notes reach the summary; the greeting
call is independent. Run it with `ao-instrument python examples/agent.py "topic"`.
"""

from __future__ import annotations

import sys

import anthropic
import openai


def plan(client: openai.OpenAI, topic: str) -> list[str]:
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You plan research. Answer with numbered steps."},
            {"role": "user", "content": f"Plan research steps for: {topic}"},
        ],
    )
    text = reply.choices[0].message.content or ""
    return [line.split(". ", 1)[-1].strip() for line in text.splitlines() if line.strip()]


def research(client: anthropic.Anthropic, step: str) -> str:
    message = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=300,
        messages=[{"role": "user", "content": f"Research this and report findings: {step}"}],
    )
    return "".join(block.text for block in message.content if block.type == "text")


def summarise(client: openai.OpenAI, topic: str, notes: list[str]) -> str:
    findings = "\n".join(f"- {note}" for note in notes)
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"Summarise the findings on {topic}:\n{findings}"}],
        stream=True,
    )
    return "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)


def main() -> None:
    topic = sys.argv[1] if len(sys.argv) > 1 else "how teams trace LLM agents"
    oai = openai.OpenAI()
    claude = anthropic.Anthropic()
    greeting = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
    print("greeting:", greeting.choices[0].message.content)
    steps = plan(oai, topic)
    notes = [research(claude, step) for step in steps]
    print(summarise(oai, topic, notes))


if __name__ == "__main__":
    main()
