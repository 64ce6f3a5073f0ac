"""What each LLM call of a replay does: served from the recording, served as edited, sent edited, or live.

The launcher wrote the recorded run's cache document to `AO_REPLAY_FILE` (`replay.launch`). In every
process of the replayed command, the first call reads it; each call is then matched, by its `ao.call.key`,
to the recorded call with the same key and the same occurrence (the n-th call with a key in this process
takes the n-th recorded one), and decided in this order:

- an edited output of the matched call is returned (`edited_output`);
- an edited input of the matched call is sent live instead of the recorded request (`edited_input`);
- the recorded response is returned without network (`cached`), unless the recorded call failed or its
  content was not captured (`live`: sent as it is);
- a call whose key the recording does not hold, or holds fewer times, goes live (`new`).

Each decision is appended to `AO_REPLAY_OUTCOMES` as one JSON line (one `write` with `O_APPEND`, so the
processes of a command never interleave), which the launcher counts for its summary at exit.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error

REPLAY_FILE_ENV = "AO_REPLAY_FILE"
OUTCOMES_ENV = "AO_REPLAY_OUTCOMES"
Kind = Literal["cached", "edited_output", "edited_input", "live", "new"]
_SERVABLE = (sc.OUTPUT_MESSAGES, sc.AO_EMBEDDINGS_OUTPUT)


@dataclass(frozen=True)
class RecordedCall:
    """One call of the recorded run: its span id, status and span attributes as stored."""

    span_id: str
    status: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class Decision:
    """What one call of the replay does; `edit` is the API edit body (`{"text"}`, `{"request"}` or `{"response"}`)."""

    kind: Kind
    recorded: RecordedCall | None = None
    edit: dict[str, Any] | None = None

    @property
    def served(self) -> bool:
        """Answered without network."""
        return self.kind in ("cached", "edited_output")

    @property
    def outcome(self) -> str:
        """The launcher's count it goes to: cached, edited, live or new."""
        return "edited" if self.kind.startswith("edited") else self.kind

    def span_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {sc.AO_CALL_CACHED: self.served}
        if self.recorded is not None:
            attributes[sc.AO_CALL_ORIGINAL_SPAN_ID] = self.recorded.span_id
        if self.kind == "edited_output":
            attributes[sc.AO_CALL_EDITED] = "output"
        elif self.kind == "edited_input":
            attributes[sc.AO_CALL_EDITED] = "input"
        return attributes


class ReplayPlan:
    """The recorded calls by key, the active edits, and the occurrences of each key seen so far."""

    def __init__(self, document: dict[str, Any], outcomes_path: str | None) -> None:
        self._by_key: dict[str, list[RecordedCall]] = {}
        for call in document.get("calls") or ():  # in recorded order
            recorded = RecordedCall(str(call["span_id"]), str(call.get("status") or "ok"), dict(call.get("attributes") or {}))
            self._by_key.setdefault(str(call.get("call_key") or ""), []).append(recorded)
        self._edits = {(str(e["span_id"]), str(e["kind"])): e["body"] for e in document.get("edits") or ()}
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._outcomes = outcomes_path

    def decide(self, key: str) -> Decision:
        """The decision for the next call with `key` (see the module docstring)."""
        with self._lock:
            occurrence = self._seen[key]
            self._seen[key] = occurrence + 1
        recorded_calls = self._by_key.get(key) if key else None
        if not recorded_calls or occurrence >= len(recorded_calls):
            return Decision("new")
        recorded = recorded_calls[occurrence]
        edit = self._edits.get((recorded.span_id, "output"))
        if isinstance(edit, dict):
            return Decision("edited_output", recorded, edit)
        edit = self._edits.get((recorded.span_id, "input"))
        if isinstance(edit, dict):
            return Decision("edited_input", recorded, edit)
        if recorded.status != "ok" or not any(name in recorded.attributes for name in _SERVABLE):
            return Decision("live", recorded)
        return Decision("cached", recorded)

    def report(self, decision: Decision, span_id: str) -> None:
        """Append the call's outcome for the launcher's summary."""
        if not self._outcomes:
            return
        line = json.dumps({
            "outcome": decision.outcome, "kind": decision.kind, "span_id": span_id,
            "original_span_id": decision.recorded.span_id if decision.recorded else None, "pid": os.getpid(),
        }) + "\n"  # fmt: skip
        try:
            descriptor = os.open(self._outcomes, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(descriptor, line.encode())
            finally:
                os.close(descriptor)
        except OSError:
            report_internal_error("recording a replay outcome")


_plan: ReplayPlan | None = None
_loaded = False
_load_lock = threading.Lock()


def active() -> ReplayPlan | None:
    """This process's replay plan, None when the program is not replayed (one dictionary lookup then)."""
    if _loaded:
        return _plan
    return _load()


def _load() -> ReplayPlan | None:
    global _plan, _loaded
    with _load_lock:
        if not _loaded:
            path = os.environ.get(REPLAY_FILE_ENV)
            if path:
                try:
                    with open(path, encoding="utf-8") as document:
                        _plan = ReplayPlan(json.load(document), os.environ.get(OUTCOMES_ENV))
                except Exception:
                    report_internal_error("reading the replay plan")
            _loaded = True
    return _plan
