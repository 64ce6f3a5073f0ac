"""Both providers fill in the provider contract (`genai.provider`), on the installed SDKs: every declared
method exists, the module prefix is the SDK's, and `construct` builds the SDK's own types from the
bodies that the provider's replay rebuilds from a recorded call."""

from __future__ import annotations

import inspect
import json
from importlib import import_module
from importlib.metadata import entry_points

import pytest

from ao_instrument.dataflow import sources
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.provider import Adapter, Provider, ProviderInstrumentor, providers

PROVIDERS = {provider.name: provider for provider in providers()}
RECORDED = {  # a recorded call's span attributes, as replay reads them
    sc.RESPONSE_ID: "id_contract",
    sc.RESPONSE_MODEL: "model-contract",
    sc.USAGE_INPUT_TOKENS: "3",
    sc.USAGE_OUTPUT_TOKENS: "2",
    sc.OUTPUT_MESSAGES: json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "hi there"}],
                                     "finish_reason": "stop"}]),  # fmt: skip
    sc.AO_EMBEDDINGS_OUTPUT: json.dumps([[0.5, 0.25]]),
}


def adapter_of(provider: Provider) -> Adapter:
    adapter = import_module(provider.adapter).ADAPTER
    assert adapter.provider is provider
    return adapter


def test_both_providers_are_declared() -> None:
    assert sorted(PROVIDERS) == ["anthropic", "openai"]
    assert sources.SDK_PACKAGES == tuple(provider.module_prefix for provider in providers())


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_the_instrumentor_entry_point_names_the_provider(name: str) -> None:
    provider = PROVIDERS[name]
    instrumentors = [e.load() for e in entry_points(group="opentelemetry_instrumentor") if e.value.startswith("ao_")]
    (instrumentor,) = [cls for cls in instrumentors if getattr(cls, "provider", None) is provider]
    assert issubclass(instrumentor, ProviderInstrumentor)
    assert instrumentor().instrumentation_dependencies() == (provider.requirement,)
    assert provider.requirement.split()[0] == provider.sdk


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_every_declared_method_exists_on_the_installed_sdk(name: str) -> None:
    adapter = adapter_of(PROVIDERS[name])
    assert adapter.methods
    for method in adapter.methods:
        assert method.module.startswith(adapter.provider.module_prefix)
        cls = getattr(import_module(method.module), method.cls)
        function = inspect.unwrap(inspect.getattr_static(cls, method.name))  # under the SDK's own decorators
        assert callable(function), method
        assert cls.__name__.startswith("Async") is method.is_async, method
        if method.name != "stream":  # `stream()` returns its manager at once
            assert inspect.iscoroutinefunction(function) is method.is_async, method


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_the_module_prefix_is_the_sdks(name: str) -> None:
    provider = PROVIDERS[name]
    adapter = adapter_of(provider)
    sdk = import_module(provider.sdk)
    assert sdk.__name__ + "." == provider.module_prefix
    for cls in (*adapter.result_types, *adapter.stream_types, *adapter.raw_types):
        assert (cls.__module__ + ".").startswith(provider.module_prefix), cls  # `openai.Stream` is re-exported
    for method in adapter.methods:
        assert method.api.result_type.__module__.startswith(provider.module_prefix)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_construct_builds_the_sdks_own_types_from_replay_bodies(name: str) -> None:
    provider = PROVIDERS[name]
    adapter = adapter_of(provider)
    for api in {method.api.replay: method.api for method in adapter.methods}.values():
        request = {"model": "model-contract", "messages": [{"role": "user", "content": "hello"}], "input": "hello"}
        body = api.replay.response(RECORDED, request)
        result = provider.construct(api.result_type, body)
        assert isinstance(result, api.result_type)
        assert isinstance(result, adapter.result_types)
        if api.recorder is None:
            continue
        items = [provider.construct(api.chunk_type, data) for _, data in api.replay.events(body, {**request, "stream": True})]
        built = [item for item in items if item is not None]
        assert built
        for item in built:
            assert type(item).__module__.startswith(provider.module_prefix), item
            assert type(item).__name__ != "dict"
    assert provider.construct(object, "not a body") is None
