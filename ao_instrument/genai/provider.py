"""The provider contract: what a provider package fills in so that ao instruments its SDK.

A provider package (`openai_sdk`, `anthropic_sdk`; a third one, Gemini say, is one more adapter)
declares two records and maps SDK shapes, nothing else; the span lifecycle is `LLMCall`'s:

- `Provider`, importable without the SDK: its `gen_ai.provider.name`, the SDK's import name (its
  objects' modules start with `module_prefix`: `dataflow.sources` reads the SDK list from
  `providers()`), the requirement, and the module holding its `Adapter`. An instrumentor is a
  `ProviderInstrumentor` naming its `Provider`: `instrument()` only registers a post-import hook, the
  SDK is patched when the program imports it, `uninstrument()` mirrors it.
- `Adapter`, built when the SDK is imported: the `Method`s that make one LLM call each (module,
  class, method, sync/async, and the `Api` that reads them), the wrapper of each method, the
  `gen_ai.provider.name` of a client (Azure, Bedrock, Vertex), and what else the provider patches.
- `Api`, per SDK API (chat, Responses, embeddings, messages): its operation, how to read a request
  (`request` attributes, `content`) and a whole result (`finish`), its stream recorder, the SDK types
  a raw body is built into (with `Provider.construct`), and its replay bodies (`ReplayBody`).

The shared steps of a call, which the wrappers use: `start` (the span, before the request goes out),
`observe` (what the user gets: a recorded result, an observed stream or raw response), and the
`sync_wrapper` / `async_wrapper` of a plain method (`prepare` may rewrite a request, `around` holds
the SDK call: by default the replay's `serving`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import Any, ClassVar

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, unwrap
from opentelemetry.metrics import get_meter
from opentelemetry.trace import get_tracer
from opentelemetry.util.types import AttributeValue
from wrapt import register_post_import_hook, wrap_function_wrapper

from ao_instrument.genai import peers
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.call_span import LLMCall, LLMCallTelemetry
from ao_instrument.genai.capture import content_policy
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.peers import Peers
from ao_instrument.genai.raw_response import observed_raw_response
from ao_instrument.genai.replay_body import ReplayBody
from ao_instrument.genai.stream_wrapper import ObservedAsyncStream, ObservedStream, StreamRecorder

try:
    VERSION = version("ao")
except PackageNotFoundError:  # running from a source tree
    VERSION = "0"

# The provider packages; each declares `PROVIDER` (a `Provider`) and imports no SDK when imported.
PACKAGES = ("ao_instrument.openai_sdk", "ao_instrument.anthropic_sdk")

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
Content = tuple[Any, Any, Any]  # input messages, system instructions, tool definitions: semconv JSON, JsonText or None
_CONTENT_KEYS = (sc.INPUT_MESSAGES, sc.SYSTEM_INSTRUCTIONS, sc.TOOL_DEFINITIONS)


@dataclass(frozen=True)
class Provider:
    """What a provider package declares; importable without its SDK."""

    name: str  # `gen_ai.provider.name` of its calls, unless `Adapter.provider_name` says otherwise
    sdk: str  # the SDK's import name, patched when imported
    requirement: str  # `instrumentation_dependencies()`
    adapter: str  # the module, imported once the SDK is, whose `ADAPTER` is this provider's `Adapter`
    title: str = ""  # in internal-error reports: "the OpenAI SDK"
    skipped_events: frozenset[str] = frozenset()  # stream events of a raw body that are no SDK items

    @property
    def module_prefix(self) -> str:
        """What the modules of the SDK's objects start with."""
        return self.sdk + "."

    def construct(self, item_type: Any, value: Any) -> Any:
        """The SDK object of one decoded body or event, built as the SDK builds it without validation;
        None for what is not one (`genai.raw_response` skips it)."""
        if not isinstance(value, dict) or value.get("type") in self.skipped_events:
            return None
        return _construct_type(self.sdk)(type_=item_type, value=value)


@cache
def _construct_type(sdk: str) -> Callable[..., Any]:
    """The loose model construction of a Stainless-generated SDK (`openai`, `anthropic`)."""
    return import_module(f"{sdk}._models").construct_type  # type: ignore[no-any-return]


@cache
def providers() -> tuple[Provider, ...]:
    """Every provider ao instruments (the provider packages are imported, their SDKs are not)."""
    return tuple(import_module(package).PROVIDER for package in PACKAGES)


@dataclass(frozen=True)
class Api:
    """How to read the calls of one SDK API: SDK shapes only. `call` is the adapter's call object: an
    `LLMCall`, or what `Adapter.call` makes of one."""

    operation: str  # `gen_ai.operation.name`
    request: Callable[[Mapping[str, Any]], dict[str, AttributeValue]]  # `gen_ai.request.*` of the kwargs
    content: Callable[[Mapping[str, Any]], Content]  # read only when content is captured
    finish: Callable[[Any, Any], None]  # end `call`'s span from a whole result
    result_type: Any  # of a whole result, built from a raw body
    result_recorder: Callable[[Any], StreamRecorder]  # the body of a raw response, one item
    replay: ReplayBody
    recorder: Callable[[Any], StreamRecorder] | None = None  # a stream's items, None for an API without streams
    chunk_type: Any = None  # of a stream's items, built from a raw body's events
    iterables: tuple[str, ...] = ()  # parameters that may be one-shot iterables, read by ao and by the SDK


@dataclass(frozen=True)
class Method:
    """An SDK method that makes one LLM call."""

    module: str
    cls: str
    name: str
    is_async: bool
    api: Api


def _no_patch() -> None:
    pass


def _served(call: Any, api: Api) -> AbstractContextManager[None]:
    """Around the SDK call: the replay's serving, and other instrumentations of the SDK standing aside."""
    from ao_instrument.replay.serving import serving

    served = serving(call, api.replay)
    found = call.telemetry.peers
    return served if found is None else _both(served, peers.aside(found))


@contextmanager
def _both(first: AbstractContextManager[None], second: AbstractContextManager[None]) -> Iterator[None]:
    with first, second:
        yield


@dataclass(frozen=True)
class Adapter:
    """The SDK side of a provider, built when its SDK is imported."""

    provider: Provider
    methods: tuple[Method, ...]
    result_types: tuple[type, ...]  # whole results: recorded at once
    stream_types: tuple[type, type]  # the SDK's sync and async streams
    raw_types: tuple[type, ...]  # `with_raw_response` / `with_streaming_response` results
    wrapper: Callable[[State, Adapter, Method], Wrapper] = field(default=lambda *a: plain_wrapper(*a))  # of one method
    provider_name: Callable[[Any], str] | None = None  # `gen_ai.provider.name` of a client, else the provider's
    call: Callable[[LLMCall], Any] | None = None  # the adapter's call object of a started call
    around: Callable[[Any, Api], AbstractContextManager[Any]] = _served  # around the SDK call
    prepare: Callable[[State, Api, dict[str, Any]], dict[str, Any] | None] | None = None  # a rewritten request
    hide: Callable[[Any], bool] | None = None  # stream items not handed out when `prepare` rewrote the request
    rereadable: tuple[type, ...] = (list, tuple, str, dict)  # values of `Api.iterables` left as they are
    state: Callable[[LLMCallTelemetry], State] = field(default=lambda telemetry: State(telemetry))
    install: Callable[[], None] = _no_patch  # further patches, after the methods'
    uninstall: Callable[[], None] = _no_patch


class State:
    """One `instrument()`: wrappers kept by the SDK past `uninstrument()` (in `with_raw_response`
    objects) pass through once `active` is false."""

    __slots__ = ("telemetry", "active")

    def __init__(self, telemetry: LLMCallTelemetry) -> None:
        self.telemetry = telemetry
        self.active = True

    def passes_through(self) -> bool:
        """Whether a wrapper calls the SDK as it is: uninstrumented, instrumentation suppressed, or ao recording
        this call already (in an outer layer)."""
        return not self.active or not is_instrumentation_enabled() or peers.inside(self.telemetry.peers)


# id(base_url) -> (base_url, provider, server.address, server.port); the URL is kept so its id is not reused.
_endpoints: dict[int, tuple[Any, str, str | None, int | None]] = {}
_PORTS = {"https": 443, "http": 80}


def endpoint(adapter: Adapter, instance: Any) -> tuple[str, str | None, int | None]:
    """Provider name, server address and port of an SDK resource's client, read once per base URL."""
    client = getattr(instance, "_client", None)
    url = getattr(client, "base_url", None)
    entry = _endpoints.get(id(url))
    if entry is None or entry[0] is not url:
        name = adapter.provider_name(client) if adapter.provider_name is not None else adapter.provider.name
        host = getattr(url, "host", None) or None
        port = (url.port or _PORTS.get(url.scheme)) if host else None  # type: ignore[union-attr]
        entry = (url, name, host, port)
        if url is not None:
            if len(_endpoints) >= 64:
                _endpoints.clear()
            _endpoints[id(url)] = entry
    return entry[1], entry[2], entry[3]


def start(
    telemetry: LLMCallTelemetry, adapter: Adapter, api: Api, instance: Any, kwargs: MutableMapping[str, Any]
) -> Any:
    """Start the call's span before the request goes out: the adapter's call object, or `None` when ao
    fails (the call runs unobserved). Request content goes in with the start attributes."""
    try:
        for name in api.iterables:
            value = kwargs.get(name)
            if value is not None and not isinstance(value, adapter.rereadable):
                kwargs[name] = list(value)  # a one-shot iterable is read by ao and by the SDK
        model = kwargs.get("model")
        provider, address, port = endpoint(adapter, instance)
        attributes = api.request(kwargs)
    except Exception:
        report_internal_error(f"starting a call span of {adapter.provider.title}")
        return None
    policy = telemetry.policy
    if policy.enabled:
        try:
            for key, content in zip(_CONTENT_KEYS, api.content(kwargs)):
                if content is not None:
                    attributes[key] = policy.dumps(content)
        except Exception:
            report_internal_error(f"recording request content of {adapter.provider.title}")
    try:
        call = LLMCall(
            telemetry,
            provider=provider,
            operation=api.operation,
            model=model if isinstance(model, str) else None,
            request=kwargs,
            attributes=attributes,
            server_address=address,
            server_port=port,
        )
        return call if adapter.call is None else adapter.call(call)
    except Exception:
        report_internal_error(f"starting a call span of {adapter.provider.title}")
        return None


def fail(call: Any, error: BaseException) -> None:
    try:
        call.fail(error)
    except Exception:
        report_internal_error("failing a call span")


def observe(call: Any, adapter: Adapter, api: Api, result: Any, streamed: bool, hide: bool = False) -> Any:
    """End the span from `result` (or hand a stream or raw response to its proxy); returns what the user gets."""
    try:
        if isinstance(result, adapter.result_types):
            api.finish(call, result)
            return call.label(result)
        if api.recorder is not None:
            sync, asynchronous = adapter.stream_types
            hidden = adapter.hide if hide else None
            if isinstance(result, sync):
                return ObservedStream(result, api.recorder(call), hidden)
            if isinstance(result, asynchronous):
                return ObservedAsyncStream(result, api.recorder(call), hidden)
        if isinstance(result, adapter.raw_types):
            return observed_raw(call, adapter, api, result, streamed)
        call.finish({})
        return result
    except Exception:
        report_internal_error(f"observing a result of {adapter.provider.title}")
        if not call.ended:
            call.finish({})
        return result


def observed_raw(call: Any, adapter: Adapter, api: Api, result: Any, streamed: bool) -> Any:
    """A raw response (`with_raw_response`, `with_streaming_response`): the span ends with its body."""
    if streamed and api.recorder is not None:
        recorder = api.recorder(call)
        item_type = api.chunk_type
    else:
        recorder = api.result_recorder(call)
        item_type = api.result_type
    return observed_raw_response(result, recorder, streamed, partial(adapter.provider.construct, item_type))


def sync_wrapper(state: State, adapter: Adapter, api: Api) -> Wrapper:
    """The wrapper of a sync method making one call."""
    telemetry, prepare, around = state.telemetry, adapter.prepare, adapter.around

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if state.passes_through():
            return wrapped(*args, **kwargs)
        asked = None if prepare is None else prepare(state, api, kwargs)
        request = kwargs if asked is None else asked
        call = start(telemetry, adapter, api, instance, request)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            with around(call, api):
                result = wrapped(*args, **request)
        except BaseException as error:
            fail(call, error)
            raise
        return observe(call, adapter, api, result, request.get("stream") is True, asked is not None)

    return wrapper


def async_wrapper(state: State, adapter: Adapter, api: Api) -> Wrapper:
    """The wrapper of an async method making one call."""
    telemetry, prepare, around = state.telemetry, adapter.prepare, adapter.around

    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if state.passes_through():
            return await wrapped(*args, **kwargs)
        asked = None if prepare is None else prepare(state, api, kwargs)
        request = kwargs if asked is None else asked
        call = start(telemetry, adapter, api, instance, request)
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            with around(call, api):
                result = await wrapped(*args, **request)
        except BaseException as error:
            fail(call, error)
            raise
        return observe(call, adapter, api, result, request.get("stream") is True, asked is not None)

    return wrapper


def plain_wrapper(state: State, adapter: Adapter, method: Method) -> Wrapper:
    """The wrapper of a method that makes its call when called (the default `Adapter.wrapper`)."""
    return (async_wrapper if method.is_async else sync_wrapper)(state, adapter, method.api)


class ProviderInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """The instrumentor of one provider: lazy patching of its `Adapter`'s methods."""

    provider: ClassVar[Provider]
    _state: State | None = None
    _adapter: Adapter | None = None
    _pending: dict[str, Any] | None = None  # instrument()'s arguments until the SDK is imported
    _layers: list[Wrapper]  # ao's wrappers of the SDK's methods (two of a method lifted above another's)

    def instrumentation_dependencies(self) -> tuple[str, ...]:
        return (self.provider.requirement,)

    def _instrument(self, **kwargs: Any) -> None:
        self._pending = kwargs
        register_post_import_hook(self._on_import, self.provider.sdk)

    def _on_import(self, _module: ModuleType) -> None:
        kwargs, self._pending = self._pending, None
        if kwargs is None:  # uninstrumented before the program imported the SDK, or patched already
            return
        try:
            self._patch(kwargs)
        except Exception:
            report_internal_error(f"instrumenting {self.provider.title}")

    def _patch(self, kwargs: dict[str, Any]) -> None:
        adapter: Adapter = import_module(self.provider.adapter).ADAPTER
        scope = type(self).__module__  # the provider package
        tracer = get_tracer(scope, VERSION, kwargs.get("tracer_provider"))
        meter = get_meter(scope, VERSION, kwargs.get("meter_provider"))
        from ao_instrument.replay import plan as replay_plan

        state = adapter.state(LLMCallTelemetry(tracer, meter, content_policy(), replay_plan.active()))
        self._adapter, self._state, self._layers = adapter, state, []
        for method in adapter.methods:
            if hasattr(getattr(import_module(method.module), method.cls), method.name):
                self._wrap(method)
        adapter.install()
        settle_peers()  # the SDK imported after every instrumentor was loaded

    def _wrap(self, method: Method) -> None:
        assert self._adapter is not None and self._state is not None
        wrapper = self._adapter.wrapper(self._state, self._adapter, method)
        self._layers.append(wrapper)
        wrap_function_wrapper(method.module, f"{method.cls}.{method.name}", wrapper)

    def _stand_aside(self, found: Peers | None) -> None:
        """Make `found` (other instrumentations of this SDK) stand aside while ao records its calls: ao's wrapper
        goes above any of theirs (`peers.aside` then tells them), and its inner layer passes through."""
        adapter, state = self._adapter, self._state
        if adapter is None or state is None:
            return
        state.telemetry.peers = found
        if found is None:
            return
        for method in adapter.methods:
            owner = getattr(import_module(method.module), method.cls)
            outer = vars(owner).get(method.name)
            if outer is not None and getattr(outer, "_self_wrapper", None) not in self._layers:
                self._wrap(method)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._pending = None
        adapter, state = self._adapter, self._state
        if adapter is None or state is None:  # the SDK was never patched
            return
        state.active = False
        self._adapter = self._state = None
        for method in adapter.methods:
            # ao's layers on top (two once lifted); one below another instrumentation's stays, passing through
            owner = getattr(import_module(method.module), method.cls)
            while getattr(vars(owner).get(method.name), "_self_wrapper", None) in self._layers:
                unwrap(owner, method.name)
        self._layers = []
        adapter.uninstall()


_said: set[str] = set()  # SDKs whose peers were named in the log


def settle_peers() -> None:
    """Find the other GenAI instrumentations of the SDKs ao has patched, and make them stand aside (or only
    name them, with `AO_PEER_INSTRUMENTATIONS=record`); once every instrumentor is loaded, and at each patch."""
    found = peers.find()
    aside = peers.standing_aside()
    for cls in ProviderInstrumentor.__subclasses__():
        instrumentor = cls.__dict__.get("_instance")
        sdk = cls.provider.sdk
        if instrumentor is None or sdk not in found:
            continue
        if sdk not in _said:
            _said.add(sdk)
            peers.log_found(sdk, found[sdk], aside)
        instrumentor._stand_aside(found[sdk] if aside else None)


__all__ = ["Adapter", "Api", "Content", "Method", "Provider", "ProviderInstrumentor", "State", "VERSION",
           "async_wrapper", "endpoint", "observe", "observed_raw", "plain_wrapper", "providers", "settle_peers", "start",
           "sync_wrapper"]  # fmt: skip
