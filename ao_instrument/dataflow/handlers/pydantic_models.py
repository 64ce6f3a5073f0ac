"""pydantic (and anything validating data into objects or dumping them): labels follow the fields.

`model_validate*`/`validate_*` label the fields of the result like the values they were validated
from (JSON text is labelled as `json.loads` would first); `model_dump(mode="json")`/`to_dict(mode="json")`
serialise text fields into new strings (pydantic's core), which take the labels of the fields they came
from. The default (python) mode hands out the labelled objects themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ao_instrument.dataflow import json_flow
from ao_instrument.dataflow.handlers.guards import PLAIN, exact_type, fail_open
from ao_instrument.dataflow.labels import TEXT_TYPES
from ao_instrument.dataflow.structures import has_labels, relabel_like

VALIDATES = ("model_validate", "model_validate_json", "model_validate_strings", "validate_python", "validate_json")
DUMPS = ("model_dump", "to_dict")


def validate_method(name: str) -> Callable[..., Any]:
    """`receiver.name(source, ...)`, a validation."""
    from_json = name.endswith("_json")

    def validate(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(receiver, name)(*args, **kwargs)
        if not args:
            return result
        source = args[0]
        try:
            if from_json:
                if exact_type(source) not in TEXT_TYPES:
                    return result
                source = json_flow.label_loaded(json.loads(source), source)
            elif exact_type(source) in PLAIN or not has_labels(source):
                return result
            return relabel_like(result, source)
        except Exception:
            return fail_open(f"propagating {name}()", result)

    return validate


def dump_method(name: str) -> Callable[..., Any]:
    """`receiver.name(*args, **kwargs)`, a dump: labelled in JSON mode."""

    def dump(receiver: Any, /, *args: Any, **kwargs: Any) -> Any:
        result = getattr(receiver, name)(*args, **kwargs)
        if kwargs.get("mode") != "json" or exact_type(result) is not dict or not has_labels(receiver):
            return result
        try:
            return relabel_like(result, receiver)
        except Exception:
            return fail_open(f"propagating {name}()", result)

    return dump
