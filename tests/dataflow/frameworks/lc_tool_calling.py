"""LangChain tool calling: `bind_tools`, A's `tool_calls` args (a dict the integration parsed from
JSON) drive the tool, and the city name reaches B's prompt; the tool result goes back to A.

expect: A->A A->B
reply A: {"tool_call": {"name": "get_weather", "arguments": {"city": "Quito"}}, "after_tool": "Quito is mild today."}
reply B: ok
"""

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI


@tool
def get_weather(city: str) -> str:
    """The weather of a city."""
    return "19 C"


llm = ChatOpenAI(model="A", max_retries=0).bind_tools([get_weather])
messages = [HumanMessage("Weather where the equator meets the Andes?")]
ai = llm.invoke(messages)
messages.append(ai)
for call in ai.tool_calls:
    messages.append(ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"]))
llm.invoke(messages)
city = ai.tool_calls[0]["args"]["city"]
ChatOpenAI(model="B", max_retries=0).invoke(f"Best museum in {city}?")
