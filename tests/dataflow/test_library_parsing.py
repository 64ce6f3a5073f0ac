"""Structured outputs parsed in library code (issue 13.1): pydantic validation, `json.loads` and
`pydantic_core.from_json` called outside user code keep the origins of the text they parse, field by
field; plain input gives plain values; uninstalling restores the libraries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import openai.types.chat
import pydantic
import pydantic_core
import pytest
from opentelemetry.trace import SpanContext

from ao_instrument.dataflow import json_flow, patches
from ao_instrument.dataflow.handlers import registry
from ao_instrument.dataflow.labels import LStr
from ao_instrument.dataflow.scopes import Origin
from ao_instrument.dataflow.tracker import Tracker
from tests.dataflow.conftest import ids, label


class Person(pydantic.BaseModel):
    name: str
    age: int
    tags: list[str]


@pytest.fixture(autouse=True)
def patched() -> Iterator[None]:
    patches.install()
    try:
        yield
    finally:
        patches.uninstall()


def two_calls(origin: Callable[[int], Origin]) -> str:
    """JSON text whose `name` came from call 1 and the rest from call 2."""
    return label('{"name": "', origin(2)) + label("Ada", origin(1)) + label('", "age": 36, "tags": ["math"]}', origin(2))


def test_model_validate_json_labels_each_field_with_its_call(origin: Callable[[int], Origin]) -> None:
    person = Person.model_validate_json(two_calls(origin))
    assert person == Person(name="Ada", age=36, tags=["math"])
    assert ids(person.name) == {1} and ids(person.age) == {2} and ids(person.tags[0]) == {2}


def test_type_adapter_validates_json_and_python(origin: Callable[[int], Origin]) -> None:
    adapter = pydantic.TypeAdapter(Person)
    assert ids(adapter.validate_json(two_calls(origin)).name) == {1}
    data = {"name": label("Bo", origin(3)), "age": 5, "tags": [label("x", origin(4))]}
    person = adapter.validate_python(data)
    assert ids(person.name) == {3} and ids(person.tags[0]) == {4} and ids(person.age) == set()
    assert ids(pydantic.TypeAdapter(list[int]).validate_json(label("[1, 2]", origin(5)))[1]) == {5}


def test_model_validate_of_a_dict_parsed_by_library_json(origin: Callable[[int], Origin]) -> None:
    data = json.loads(two_calls(origin))  # this module is not rewritten: the library path
    assert ids(data["name"]) == {1} and ids(data["age"]) == {2}
    person = Person.model_validate(data)
    assert ids(person.name) == {1} and ids(person.age) == {2}
    assert ids(pydantic_core.from_json(label('{"k": "v"}', origin(6)))["k"]) == {6}


def test_sdk_parsed_tool_arguments_through_a_framework_validation(origin: Callable[[int], Origin]) -> None:
    completion = openai.types.chat.ChatCompletion.model_validate(
        {
            "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None,
                "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "final_result",
                                "arguments": '{"name": "Cy", "age": 7, "tags": []}'}}]}}],
        }
    )  # fmt: skip
    labelled = Tracker().label_output(completion, SpanContext(trace_id=1, span_id=8, is_remote=False))
    person = Person.model_validate_json(labelled.choices[0].message.tool_calls[0].function.arguments)
    assert ids(person.name) == {8} and ids(person.age) == {8}


def test_plain_input_gives_plain_values() -> None:
    person = Person.model_validate_json('{"name": "Ada", "age": 36, "tags": ["math"]}')
    assert type(person.name) is str and type(person.age) is int
    assert type(json.loads('{"a": "b"}')["a"]) is str
    assert type(Person.model_validate({"name": "x", "age": 1, "tags": []}).name) is str


def test_validation_errors_are_pydantics(origin: Callable[[int], Origin]) -> None:
    with pytest.raises(pydantic.ValidationError):
        Person.model_validate_json(label('{"name": 3}', origin(1)))
    with pytest.raises(json.JSONDecodeError):
        json.loads(label("{not json", origin(1)))


def test_uninstall_restores_the_libraries(origin: Callable[[int], Origin]) -> None:
    patches.uninstall()
    assert json.loads.__module__ == "json" and not hasattr(json.loads, "__wrapped__")
    assert type(Person.model_validate_json(label('{"name": "A", "age": 1, "tags": []}', origin(1))).name) is str
    patches.install()
    assert isinstance(json.loads('"x"'), str) and hasattr(json.loads, "__wrapped__")


def test_sdk_ids_are_labelled_but_not_indexed_for_content_matching() -> None:
    """A short answer is matched whole: the completion's id and private `_request_id` are not glued to it."""
    completion = openai.types.chat.ChatCompletion.model_validate(
        {"id": "c2", "object": "chat.completion", "created": 1, "model": "m",
         "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "It is about 346 km long."}}]}
    )  # fmt: skip
    completion._request_id = "req_1"
    tracker = Tracker()
    out = tracker.label_output(completion, SpanContext(trace_id=1, span_id=5, is_remote=False))
    assert isinstance(out.id, LStr) and ids(out.id) == {5}
    request = {"messages": [{"role": "user", "content": "Earlier you said: It is about 346 km long. Why?"}]}
    links = tracker.request_links(request)
    assert [(link.context.span_id, link.attributes["ao.dataflow.via"]) for link in links] == [(5, "content")]


def test_a_parse_result_labelled_by_the_library_call_is_not_labelled_again(origin: Callable[[int], Origin]) -> None:
    source = two_calls(origin)
    data = registry.methods_1.loads(json, source)  # rewritten `json.loads(x)`: the patched loads labels first
    assert ids(data["name"]) == {1} and ids(data["age"]) == {2}
    assert json_flow.label_loaded(data, label(json.dumps(data), origin(9))) is data and ids(data["name"]) == {1}
