"""Dataflow between LLM calls (contract C3): origin tracking in the user's code, span links at the calls.

SDK outputs are labelled with their call's origin (`sources.py`); the user's modules (and entry
script) are rewritten at import so that labels follow values through f-strings, formatting, `join`,
`json`, `re` and friends (`rewrite.py`, `handlers/`); a request's origins become span links
(`sinks.py`, `tracker.py`), with content matching as the fallback (`content_match.py`).

`DataflowInstrumentor` (entry point `ao_dataflow`) switches it all on; `AO_TAINT=off` keeps it off.
The import hook is installed at once (the rewriter loads with the first user module); tracking (the
tracker and the library patches) starts when the program first imports an LLM SDK (at once when it
already has): a process that imports neither pays for neither. The
entry script is run rewritten by `ao_instrument.launcher.main_script` (under `ao-instrument`, and under
plain `opentelemetry-instrument` through the post-instrument entry point `ao_main_script`).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from types import ModuleType
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from wrapt import register_post_import_hook

from ao_instrument.dataflow import import_hook
from ao_instrument.dataflow.user_code import disabled, from_environment
from ao_instrument.genai.origins import set_tracker

if TYPE_CHECKING:
    from ao_instrument.dataflow.tracker import ScopeEnd, Tracker

# Labelled values come from these SDKs' outputs: tracking starts when the first of them is imported.
LLM_SDK_MODULES = ("openai", "anthropic")

__all__ = ["DataflowInstrumentor", "install_hook", "is_user_code", "run_script", "disabled"]


def install_hook(project_dir: str | None = None) -> bool:
    """Rewrite user modules from now on (`AO_TAINT_PATHS`, else `project_dir` or the entry script's
    directory); False when `AO_TAINT=off`."""
    if disabled():
        return False
    import_hook.install(from_environment(project_dir))
    return True


def is_user_code(path: str) -> bool:
    """Whether the source file `path` counts as user code (the entry script's directory is the project)."""
    finder = import_hook.installed()
    if finder is not None and finder.user_code.contains(path):
        return True
    return from_environment(os.path.dirname(os.path.abspath(path))).contains(path)


def run_script(path: str, argv: list[str] | None = None) -> dict[str, Any]:
    """Run the entry script rewritten, as `__main__` (see `import_hook.run_script`)."""
    return import_hook.run_script(path, argv)


class DataflowInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Installs the tracker, the import hook and the library patches; uninstalls them."""

    _tracker: Tracker | None = None
    _scope_end: ScopeEnd | None = None
    _armed: dict[str, Any] | None = None  # the instrument() arguments, until tracking starts

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        if disabled():
            return
        install_hook(kwargs.get("project_dir"))
        type(self)._armed = kwargs
        for name in LLM_SDK_MODULES:
            register_post_import_hook(self._start_tracking, name)  # runs at once when already imported

    def _start_tracking(self, module: ModuleType | None = None) -> None:
        """The tracker, its scope-ending span processor and the library patches (once per instrument())."""
        kwargs, type(self)._armed = type(self)._armed, None
        if kwargs is None:
            return
        from ao_instrument.dataflow import patches
        from ao_instrument.dataflow.tracker import ScopeEnd, Tracker

        tracker = Tracker(content_matching=os.environ.get("AO_CONTENT_MATCH", "on").lower() not in ("off", "0"))
        provider = kwargs.get("tracer_provider") or trace.get_tracer_provider()
        add = getattr(provider, "add_span_processor", None)
        if add is not None:
            type(self)._scope_end = ScopeEnd(tracker)
            add(type(self)._scope_end)
        patches.install()
        set_tracker(tracker)
        type(self)._tracker = tracker

    def _uninstrument(self, **kwargs: Any) -> None:
        type(self)._armed = None
        set_tracker(None)
        import_hook.uninstall()
        if type(self)._tracker is None:
            return
        from ao_instrument.dataflow import patches

        patches.uninstall()
        if type(self)._scope_end is not None:
            type(self)._scope_end.tracker = None
            type(self)._scope_end = None
        type(self)._tracker.scopes.end_all()
        type(self)._tracker = None

    @classmethod
    def tracker(cls) -> Tracker | None:
        return cls._tracker
