"""LangChain `JsonOutputParser` in an LCEL chain: the parser turns A's JSON text into a dict in
library code; its short `name` field fills B's template.

expect: A->B
reply A: {"text": {"name": "Ada", "role": "engineer"}}
reply B: ok
"""

from langchain_core.output_parsers import JsonOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

extract = ChatPromptTemplate.from_template("Extract the person from: {bio}") | ChatOpenAI(model="A", max_retries=0) | JsonOutputParser()
person = extract.invoke({"bio": "Ada builds bridges."})
greet = ChatPromptTemplate.from_template("Write a greeting for {name}") | ChatOpenAI(model="B", max_retries=0)
greet.invoke({"name": person["name"]})
