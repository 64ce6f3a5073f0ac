"""LangChain `.stream()`: A's chunks are joined by the program and fed to B through a template.

expect: A->B
reply A: Three reasons to visit the fjords in autumn.
reply B: ok
"""

from langchain_core.prompts import PromptTemplate
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="A", max_retries=0)
pieces = []
for chunk in llm.stream("Why visit the fjords?"):
    pieces.append(chunk.content)
draft = "".join(pieces)
prompt = PromptTemplate.from_template("Turn this into a headline: {draft}")
ChatOpenAI(model="B", max_retries=0).invoke(prompt.format(draft=draft))
