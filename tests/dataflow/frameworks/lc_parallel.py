"""LangChain `RunnableParallel`: two chains (A, B) run side by side in threads; both answers fill
C's template; D is unrelated.

expect: A->C B->C
reply A: Pros: cheap, fast, and easy to repair.
reply B: Cons: loud, heavy, and short battery life.
reply C: ok
reply D: ok
"""

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableParallel
from langchain_openai import ChatOpenAI

parse = StrOutputParser()
pros = ChatPromptTemplate.from_template("Pros of {thing}") | ChatOpenAI(model="A", max_retries=0) | parse
cons = ChatPromptTemplate.from_template("Cons of {thing}") | ChatOpenAI(model="B", max_retries=0) | parse
verdict = ChatPromptTemplate.from_template("Weigh these.\n{pros}\n{cons}") | ChatOpenAI(model="C", max_retries=0) | parse
chain = RunnableParallel(pros=pros, cons=cons) | verdict
chain.invoke({"thing": "a petrol mower"})
ChatOpenAI(model="D", max_retries=0).invoke("Unrelated question")
