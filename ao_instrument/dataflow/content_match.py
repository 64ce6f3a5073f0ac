"""Content matching: the fallback for flows that leave Python values (files, subprocesses, C code).

An earlier output is linked to a request (`ao.dataflow.via = "content"`) when, in the request's
unlabelled text (whitespace-normalised), there is either the whole output (at least `MIN_CHARS`
characters and `MIN_WORDS` words) or, for a long output, one of its aligned `WINDOW`-character
windows, so any copied stretch of `2 * WINDOW` characters or more is found. Windows that also occur
in the call's own request are ignored (the model echoing its input is not its output), and so are
outputs already linked by labels. Short answers ("yes", "42", "Paris") are never content-matched;
derived values (numbers parsed from text, JSON fields, reformatted text) are not found either.
"""

from __future__ import annotations

import threading
from typing import Any

MIN_CHARS = 20
MIN_WORDS = 4
WINDOW = 40
MAX_PROBES = 64
MAX_TEXT = 200_000  # characters kept per output
MAX_OUTPUTS = 2_000  # outputs kept per scope (oldest forgotten first)
MIN_SHARED_WORDS = 3
_WORD_MIN = 4


def normalize(text: str) -> str:
    return " ".join(text.split())


class _Output:
    """One call's output text, prepared for matching: its distinctive words and its probes."""

    __slots__ = ("parts", "words", "probes", "ready")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.words: frozenset[str] = frozenset()
        self.probes: tuple[str, ...] = ()
        self.ready = False

    def add(self, texts: list[str]) -> None:
        size = sum(len(p) for p in self.parts)
        for text in texts:
            if size >= MAX_TEXT:
                break
            if self.parts and text.startswith(self.parts[-1]):  # a growing snapshot of the same text
                size -= len(self.parts.pop())
            self.parts.append(text)
            size += len(text)
        self.ready = False

    def prepare(self, own_request: str) -> None:
        joined = normalize("".join(self.parts))
        self.ready = True
        if len(joined) < MIN_CHARS or joined.count(" ") + 1 < MIN_WORDS:
            self.words, self.probes = frozenset(), ()
            return
        if len(joined) <= 2 * WINDOW:
            probes = [joined]
        else:
            stride = max(WINDOW, len(joined) // MAX_PROBES)
            probes = [joined[i : i + WINDOW] for i in range(0, len(joined) - WINDOW + 1, stride)]
        self.probes = tuple(p for p in probes if p not in own_request)
        self.words = frozenset(w for w in joined.split() if len(w) >= _WORD_MIN)


class ContentIndex:
    """The outputs of one scope, by origin."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outputs: dict[Any, _Output] = {}

    def add(self, origin: Any, texts: list[str]) -> None:
        with self._lock:
            output = self._outputs.get(origin)
            if output is None:
                if len(self._outputs) >= MAX_OUTPUTS:
                    del self._outputs[next(iter(self._outputs))]
                output = self._outputs[origin] = _Output()
            output.add(texts)

    def __len__(self) -> int:
        return len(self._outputs)

    def match(self, fragments: list[tuple[Any, str]], skip: Any) -> dict[Any, Any]:
        """Origins whose output appears in the unlabelled `fragments` (path, text), with the path."""
        if not self._outputs or not fragments:
            return {}
        with self._lock:
            outputs = [(o, out) for o, out in self._outputs.items() if o not in skip]
        if not outputs:
            return {}
        texts = [normalize(text) for _, text in fragments]
        everything = "\x00".join(texts)
        words = set(everything.split())
        found: dict[Any, Any] = {}
        for origin, output in outputs:
            if not output.ready:
                output.prepare(normalize(" ".join(origin.request_texts)))
            probes = output.probes
            if not probes or len(output.words & words) < min(MIN_SHARED_WORDS, len(output.words)):
                continue
            hit = next((probe for probe in probes if probe in everything), None)
            if hit is None:
                continue
            for (path, _), text in zip(fragments, texts):
                if hit in text:
                    found[origin] = path
                    break
        return found
