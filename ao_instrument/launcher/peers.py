"""Other GenAI instrumentations of the SDKs that ao instruments, found once after every instrumentor is
loaded and named in ao's log with how to choose.

Two instrumentations of one SDK record each call twice (OpenLLMetry's and OpenInference's `openai`,
contrib's `openai_v2`, `anthropic`). Under `ao-instrument` they are disabled unless
`OTEL_PYTHON_DISABLED_INSTRUMENTATIONS` is set; under plain `opentelemetry-instrument` the user chooses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

logger = logging.getLogger(__name__)

# SDK distribution -> ao's entry point for it
SDKS = {"openai": "ao_openai", "anthropic": "ao_anthropic"}
_OURS = "ao_instrument."


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _active(cls: type) -> BaseInstrumentor | None:
    instance = cls.__dict__.get("_instance")
    return instance if instance is not None and getattr(instance, "_is_instrumented_by_opentelemetry", False) else None


def peers() -> dict[str, list[str]]:
    """SDK -> the other active instrumentors of it ("module.Class"), for the SDKs ao instruments too."""
    ours: set[str] = set()
    theirs: dict[str, list[str]] = {}
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
                    theirs.setdefault(sdk, []).append(f"{cls.__module__}.{cls.__qualname__}")
    return {sdk: sorted(names) for sdk, names in theirs.items() if sdk in ours}


def log_peers() -> None:
    """One line in ao's log per SDK that another instrumentation records beside ao."""
    for sdk, names in peers().items():
        logger.warning(
            "ao: %s calls are also instrumented by %s, so each call is recorded more than once; keep ao's spans "
            "only by listing their entry point names in OTEL_PYTHON_DISABLED_INSTRUMENTATIONS, or theirs with %s",
            sdk, ", ".join(names), SDKS[sdk],
        )  # fmt: skip
