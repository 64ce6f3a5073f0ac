"""Structured-output filling: generated instances validate against the schema they came from."""

from __future__ import annotations

import datetime
import enum
from typing import Literal, Optional

import pytest
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, Field

from fake_llm.schema_fill import instance_of


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip_code: str = Field(min_length=5, max_length=5)


class Node(BaseModel):
    label: str
    children: list["Node"]
    parent: Optional["Node"] = None


class Person(BaseModel):
    name: str
    age: int = Field(ge=18, le=130)
    score: float = Field(gt=0.5)
    kind: Literal["employee", "contractor"]
    color: Color
    home: Address
    previous: list[Address]
    nickname: str | None
    born: datetime.date
    seen: datetime.datetime
    labels: dict[str, int]
    tree: Node


@pytest.mark.parametrize("strict", [True, False])
def test_instances_validate(strict: bool) -> None:
    schema = to_strict_json_schema(Person) if strict else Person.model_json_schema()
    person = Person.model_validate(instance_of(schema, "some text"))
    assert person.name == "some text" and person.home.zip_code == "some "
    assert person.age >= 18 and person.score > 0.5


def test_plain_schemas() -> None:
    assert instance_of({"type": "array", "items": {"type": "integer"}, "minItems": 3}, "t") == [1, 1, 1]
    assert instance_of({"type": ["null", "boolean"]}, "t") is True
    assert instance_of({"const": "fixed"}, "t") == "fixed"
    assert instance_of({"type": "string", "format": "email"}, "t") == "fake@example.com"
    assert instance_of({"allOf": [{"properties": {"a": {"type": "string"}}}, {"properties": {"b": {}}}]}, "t") == {
        "a": "t",
        "b": "t",
    }
