"""Fixtures: the fake LLM server, clients pointed at it, and ao's instrumentation with fresh providers."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from fake_llm import FakeLLM

from ao_instrument.openai_sdk import OpenAIInstrumentor
from tests.support.instrumentation import CAPTURE_ENV, Instrumentation
from tests.support.instrumentation import content, dataflow, telemetry  # noqa: F401


@pytest.fixture
def make_telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Instrumentation]:
    """Instrument with fresh providers; keyword arguments set environment variables first."""
    instrumentation = Instrumentation(OpenAIInstrumentor, CAPTURE_ENV, monkeypatch)
    yield instrumentation
    instrumentation.uninstrument()


@pytest.fixture
def client(fake: FakeLLM) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="test", max_retries=0) as client:
        yield client


@pytest.fixture
def aclient(fake: FakeLLM) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="test", max_retries=0)
