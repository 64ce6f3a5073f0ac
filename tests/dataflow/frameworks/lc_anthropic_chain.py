"""LangChain with ChatAnthropic: A (Claude) drafts, the draft goes through a dict-building lambda
into a template for B (OpenAI).

expect: A->B
reply A: A short poem about a lighthouse keeper and the sea.
reply B: ok
"""

from langchain_anthropic import ChatAnthropic
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_openai import ChatOpenAI

draft = ChatPromptTemplate.from_template("Write about {topic}") | ChatAnthropic(model="A", max_retries=0) | StrOutputParser()
critic = ChatPromptTemplate.from_template("Critique: {poem}") | ChatOpenAI(model="B", max_retries=0) | StrOutputParser()
chain = draft | RunnableLambda(lambda poem: {"poem": poem}) | critic
print(chain.invoke({"topic": "lighthouses"}))
