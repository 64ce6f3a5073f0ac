"""Constants of the OpenAI instrumentation tests."""

from __future__ import annotations

from tests.support.instrumentation import Telemetry, decoded

__all__ = ["HELLO", "MODEL", "RESPONSES_WEATHER_TOOL", "WEATHER_TOOL", "Telemetry", "decoded"]

MODEL = "gpt-test"
HELLO = [{"role": "user", "content": "hello there"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
RESPONSES_WEATHER_TOOL = {"type": "function", **WEATHER_TOOL["function"]}
