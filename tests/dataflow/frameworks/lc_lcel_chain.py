"""LangChain LCEL: a prompt template piped into ChatOpenAI and a string parser; A's answer fills the
second chain's template for B.

expect: A->B
reply A: The capital of Norway is Oslo, a city on a fjord.
reply B: ok
"""

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

facts = ChatPromptTemplate.from_messages([("system", "You are terse."), ("user", "Tell me about {country}")])
summary = ChatPromptTemplate.from_template("Summarise in five words: {text}")
fact_chain = facts | ChatOpenAI(model="A", max_retries=0) | StrOutputParser()
summary_chain = summary | ChatOpenAI(model="B", max_retries=0) | StrOutputParser()
text = fact_chain.invoke({"country": "Norway"})
print(summary_chain.invoke({"text": text}))
