"""pydantic-ai `NativeOutput`: A answers JSON text under a response format, which pydantic-ai
validates in library code; the short `city` field reaches B.

expect: A->B
reply A: {"text": {"city": "Turin", "country": "Italy"}}
reply B: ok
"""

from pydantic import BaseModel
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.models.openai import OpenAIChatModel


class Place(BaseModel):
    city: str
    country: str


place = Agent(OpenAIChatModel("A"), output_type=NativeOutput(Place)).run_sync("Where is the Mole Antonelliana?").output
Agent(OpenAIChatModel("B")).run_sync(f"What to eat in {place.city}?")
