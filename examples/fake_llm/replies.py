"""Reply types, and the script that picks the outcome of each request (queue, rules, default)."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Union

from .request import Request
from .schema_fill import instance_of


@dataclass(frozen=True)
class ToolCall:
    """A function/tool call made by the model; `id` is derived from the request when None."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Reply:
    """A successful model answer: text, tool calls, or both (token counts computed when None).
    `truncated` ends it as if the output token limit was hit (finish_reason "length",
    status "incomplete", stop_reason "max_tokens"); `filtered` as if a content filter stopped it
    (finish_reason "content_filter", status "incomplete" with reason "content_filter",
    stop_reason "refusal")."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    delay: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    truncated: bool = False
    filtered: bool = False

    def token_counts(self, request: Request) -> tuple[int, int]:
        """(input, output) tokens: the configured counts, else about one token per 4 characters."""
        calls = "".join(call.name + json.dumps(call.arguments) for call in self.tool_calls)
        generated = (self.text or "") + calls
        return (
            self.input_tokens if self.input_tokens is not None else _tokens(request.prompt_text),
            self.output_tokens if self.output_tokens is not None else _tokens(generated),
        )


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error in the provider's error format (429 carries retry-after headers)."""

    status: int = 500
    message: str | None = None
    retry_after: float | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class FailedReply:
    """The model failed after accepting the request: a Responses API response with status "failed"
    and `error` {code, message} (streamed: response.created, response.in_progress, response.failed).
    APIs without a failed status (chat completions, messages) answer an HTTP 500 error instead."""

    code: str = "server_error"
    message: str | None = None
    delay: float = 0.0


MalformedKind = Literal["json", "schema", "cut"]


@dataclass(frozen=True)
class MalformedReply:
    """A broken answer: invalid JSON ("json"), valid JSON of the wrong shape ("schema"),
    or the connection closed half-way through the body or stream ("cut")."""

    kind: MalformedKind = "json"
    delay: float = 0.0


Outcome = Union[Reply, ErrorReply, MalformedReply, FailedReply]
Rule = Callable[[Request], Union[Outcome, None]]


@dataclass(frozen=True)
class SubstringRule:
    """Answers `outcome` when the last user message contains `match` (case-insensitive)
    and, when given, the model and path are equal; `after_tool`, when given, answers instead once the
    conversation holds a tool's result (so an agent's tool loop ends)."""

    match: str
    outcome: Outcome
    model: str | None = None
    path: str | None = None
    after_tool: Outcome | None = None

    def __call__(self, request: Request) -> Outcome | None:
        if self.model is not None and request.model != self.model:
            return None
        if self.path is not None and request.path != self.path:
            return None
        if self.match.lower() not in request.last_user_text.lower():
            return None
        return self.after_tool if self.after_tool is not None and request.has_tool_result else self.outcome


class Script:
    """Thread-safe source of outcomes: queued replies first (FIFO), then rules in order,
    then a deterministic default derived from the request."""

    def __init__(self, base_rules: Iterable[Rule] = ()) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Outcome] = deque()
        self._base_rules = list(base_rules)
        self._rules = list(self._base_rules)

    def enqueue(self, outcome: Outcome) -> None:
        with self._lock:
            self._queue.append(outcome)

    def add_rule(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def reset(self) -> None:
        """Drop queued replies and added rules; the base rules stay."""
        with self._lock:
            self._queue.clear()
            self._rules = list(self._base_rules)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def outcome_for(self, request: Request, *, use_queue: bool = True) -> Outcome:
        with self._lock:
            if use_queue and self._queue:
                return self._queue.popleft()
            rules = list(self._rules)
        for rule in rules:
            outcome = rule(request)
            if outcome is not None:
                return outcome
        return default_reply(request)


def default_reply(request: Request) -> Reply:
    """`reply N to: <first 40 chars of the last user message>`, or JSON fitting the requested schema."""
    snippet = " ".join(request.last_user_text.split())[:40]
    text = f"reply {request.number} to: {snippet}" if snippet else f"reply {request.number}"
    schema = request.response_schema
    if schema is not None:
        text = json.dumps(instance_of(schema, text))
    return Reply(text=text)


def _tokens(text: str) -> int:
    return max(1, -(-len(text) // 4))


def outcome_from_spec(spec: str | dict[str, Any]) -> Outcome:
    """Build an outcome from its JSON form, as used by reply files and the control endpoint:
    a string (the reply text), or one of
    {"text": str | object, "tool_calls": [{"name", "arguments", "id"?}] (or one "tool_call"), "delay"?,
     "input_tokens"?, "output_tokens"?, "truncated"?, "filtered"?},
    {"error": status, "message"?, "retry_after"?, "delay"?},
    {"failed": code, "message"?, "delay"?},
    {"malformed": "json" | "schema" | "cut", "delay"?}."""
    if isinstance(spec, str):
        return Reply(spec)
    if not isinstance(spec, dict):
        raise TypeError(f"a reply spec is a string or an object, not {spec!r}")
    delay = float(spec.get("delay", 0.0))
    if "error" in spec:
        return ErrorReply(int(spec["error"]), spec.get("message"), spec.get("retry_after"), delay)
    if "failed" in spec:
        code = spec["failed"]
        if not isinstance(code, str) or not code:
            raise ValueError(f"a failed reply names its error code: {spec!r}")
        return FailedReply(code, spec.get("message"), delay)
    if "malformed" in spec:
        kind = spec["malformed"]
        if kind not in ("json", "schema", "cut"):
            raise ValueError(f"unknown malformed kind {kind!r}")
        return MalformedReply(kind, delay)
    text = spec.get("text")
    if text is not None and not isinstance(text, str):
        text = json.dumps(text)
    calls = spec.get("tool_calls", [spec["tool_call"]] if "tool_call" in spec else [])
    tool_calls = tuple(ToolCall(c["name"], dict(c.get("arguments", {})), c.get("id")) for c in calls)
    if text is None and not tool_calls:
        raise ValueError(f"reply spec needs text, tool_calls, error or malformed: {spec!r}")
    tokens = spec.get("input_tokens"), spec.get("output_tokens")
    return Reply(text, tool_calls, delay, *tokens, truncated=bool(spec.get("truncated")),
                 filtered=bool(spec.get("filtered")))  # fmt: skip


def rule_from_spec(spec: dict[str, Any]) -> SubstringRule:
    """{"match": substring, "model"?, "path"?, "after_tool"?: outcome spec, ...outcome spec} -> rule."""
    if not isinstance(spec, dict):
        raise TypeError(f"a rule spec is an object, not {spec!r}")
    after = spec.get("after_tool")
    return SubstringRule(
        spec.get("match", ""), outcome_from_spec(spec), spec.get("model"), spec.get("path"),
        outcome_from_spec(after) if after is not None else None,
    )  # fmt: skip


def load_rules(path: str | Path) -> list[SubstringRule]:
    """Rules from a reply file: a JSON list of rule specs, or {"rules": [...]}."""
    data = json.loads(Path(path).read_text())
    specs = data["rules"] if isinstance(data, dict) else data
    return [rule_from_spec(spec) for spec in specs]
