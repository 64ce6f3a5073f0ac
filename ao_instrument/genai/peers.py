"""Other GenAI instrumentations of the SDKs that ao instruments, and how they stand aside while ao records.

Two instrumentations of one SDK record each call twice (OpenLLMetry's and OpenInference's `openai`,
contrib's `openai_v2`, `anthropic`). Under `ao-instrument` they are disabled unless
`OTEL_PYTHON_DISABLED_INSTRUMENTATIONS` is set; otherwise (plain `opentelemetry-instrument`, or that
variable set) ao finds them once every instrumentor is loaded (`provider.settle_peers`, from the
post-instrument hook, and when an SDK is patched later), names them once in ao's log, and for each SDK
that another instrumentation records too:

- ao's wrapper of each method is made the outermost (wrapped again above one wrapped after it), so ao sees
  the call first; its inner layer then passes through;
- during the SDK call, the context holds what each of them honours to stand aside: OpenLLMetry's
  `suppress_language_model_instrumentation` (which quiets LLM instrumentations only), and, for any other
  (OpenInference, contrib's), OpenTelemetry's suppress-instrumentation key, which also quiets the HTTP
  client spans under the call. The GenAI conventions' guidance on duplicate inference spans
  (semantic-conventions-genai #475) asks instrumentations to look for the inference span in the context;
  none of them reads such a key yet, and this is what they read today.

`AO_PEER_INSTRUMENTATIONS=record` leaves them recording beside ao (each call then appears more than once);
to keep theirs instead of ao's, disable ao's (`OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=ao_openai`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

from opentelemetry import context
from opentelemetry.context import Context
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

logger = logging.getLogger(__name__)

# SDK distribution -> ao's entry point for it
SDKS = {"openai": "ao_openai", "anthropic": "ao_anthropic"}
MODE_ENV = "AO_PEER_INSTRUMENTATIONS"  # "aside" (the default) or "record"
_OURS = "ao_instrument."
# Instrumentations that honour OpenLLMetry's key (its own packages), by the module of their instrumentor.
_LLM_KEY_HONOURED = ("opentelemetry.instrumentation.openai", "opentelemetry.instrumentation.anthropic")
LLM_SUPPRESSION_KEY = "suppress_language_model_instrumentation"  # a plain string key, as OpenLLMetry reads it
_INSIDE_KEY = context.create_key("ao-recording-a-call")


@dataclass(frozen=True)
class Peers:
    """The other instrumentations recording one SDK ("module.Class"), and the context that makes them stand aside."""

    names: tuple[str, ...]
    suppress_all: bool  # one of them honours only OpenTelemetry's suppress-instrumentation key


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _active(cls: type) -> BaseInstrumentor | None:
    instance = cls.__dict__.get("_instance")
    return instance if instance is not None and getattr(instance, "_is_instrumented_by_opentelemetry", False) else None


def _honours_llm_key(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in _LLM_KEY_HONOURED)


def find() -> dict[str, Peers]:
    """SDK -> the other active instrumentors of it, for the SDKs ao instruments too."""
    ours: set[str] = set()
    theirs: dict[str, list[type]] = {}
    for cls in set(_subclasses(BaseInstrumentor)):
        instance = _active(cls)
        if instance is None:
            continue
        try:
            dependencies = list(instance.instrumentation_dependencies())
        except Exception:
            continue
        for sdk in SDKS:
            if any(re.match(rf"{sdk}\b", dependency.strip()) for dependency in dependencies):
                if cls.__module__.startswith(_OURS):
                    ours.add(sdk)
                else:
                    theirs.setdefault(sdk, []).append(cls)
    return {
        sdk: Peers(tuple(sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)),
                   suppress_all=not all(_honours_llm_key(c.__module__) for c in classes))
        for sdk, classes in theirs.items() if sdk in ours
    }  # fmt: skip


def standing_aside() -> bool:
    """Whether found peers are made to stand aside (`AO_PEER_INSTRUMENTATIONS`, default yes)."""
    return os.environ.get(MODE_ENV, "aside").strip().lower() != "record"


def log_found(sdk: str, peers: Peers, aside: bool) -> None:
    """One line in ao's log for an SDK that another instrumentation records beside ao."""
    if aside:
        logger.warning(
            "ao: %s calls are also instrumented by %s; while ao records a call they stand aside, so it is recorded "
            "once (%s=record keeps them recording too; to keep theirs instead of ao's, add %s to "
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS)", sdk, ", ".join(peers.names), MODE_ENV, SDKS[sdk],
        )  # fmt: skip
    else:
        logger.warning(
            "ao: %s calls are also instrumented by %s, so each call is recorded more than once (%s=record); keep "
            "ao's spans only by listing their entry point names in OTEL_PYTHON_DISABLED_INSTRUMENTATIONS, or "
            "theirs with %s", sdk, ", ".join(peers.names), MODE_ENV, SDKS[sdk],
        )  # fmt: skip


def aside_context(peers: Peers | None, base: Context | None = None) -> Context:
    """`base` (else the current context) with what makes `peers` stand aside during an SDK call."""
    ctx = context.get_current() if base is None else base
    if peers is None:
        return ctx
    ctx = context.set_value(LLM_SUPPRESSION_KEY, True, context.set_value(_INSIDE_KEY, True, ctx))
    if peers.suppress_all:
        ctx = context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True, ctx)
    return ctx


@contextmanager
def _attached(ctx: Context) -> Iterator[None]:
    token = context.attach(ctx)
    try:
        yield
    finally:
        context.detach(token)


def aside(peers: Peers | None) -> AbstractContextManager[None]:
    """Around an SDK call ao records: `peers` stand aside (nothing to do without peers)."""
    return nullcontext() if peers is None else _attached(aside_context(peers))


def inside(peers: Peers | None) -> bool:
    """Whether ao is recording a call already (its inner layer of a method it was lifted above passes through)."""
    return peers is not None and context.get_value(_INSIDE_KEY) is True
