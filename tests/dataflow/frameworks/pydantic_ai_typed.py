"""pydantic-ai typed output: A answers through its output tool (`final_result`); the fields of the
validated `Movie` reach B (the title, a few words) and C (the year, a number).

expect: A->B A->C
reply A: {"tool_call": {"name": "final_result", "arguments": {"title": "Blade Runner", "year": 1982}}}
reply B: ok
reply C: ok
"""

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel


class Movie(BaseModel):
    title: str
    year: int


movie = Agent(OpenAIChatModel("A"), output_type=Movie).run_sync("A famous 1980s science fiction film").output
Agent(OpenAIChatModel("B")).run_sync(f"Who directed {movie.title}?")
Agent(OpenAIChatModel("C")).run_sync(f"What else came out {2024 - movie.year} years ago?")
