"""LangChain `with_structured_output(Model)`: A's typed answer is parsed by LangChain; one field of
it (a short title) reaches B.

expect: A->B
reply A: {"text": {"title": "Oslo", "population": 700000}}
reply B: ok
"""

from pydantic import BaseModel
from langchain_openai import ChatOpenAI


class City(BaseModel):
    title: str
    population: int


city = ChatOpenAI(model="A", max_retries=0).with_structured_output(City).invoke("Largest city of Norway?")
ChatOpenAI(model="B", max_retries=0).invoke(f"Tell me about {city.title}")
