"""Fixtures: one fake server per session, reset before every test, and SDK clients pointed at it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

from fake_llm import FakeLLM  # noqa: E402


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeLLM) -> FakeLLM:
    fake_server.reset()
    return fake_server


@pytest.fixture
def oai(fake: FakeLLM) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-fake", max_retries=0)


@pytest.fixture
def aoai(fake: FakeLLM) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="sk-fake", max_retries=0)


@pytest.fixture
def claude(fake: FakeLLM) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="sk-ant-fake", max_retries=0)


@pytest.fixture
def aclaude(fake: FakeLLM) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key="sk-ant-fake", max_retries=0)
