"""Fixtures: SDK clients pointed at the session's fake server (`fake`, from tests/conftest.py)."""

from __future__ import annotations

import anthropic
import openai
import pytest

from fake_llm import FakeLLM


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
