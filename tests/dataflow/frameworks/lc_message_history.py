"""LangChain messages kept as a history list: A's AIMessage goes back into the conversation for B;
C gets a fresh conversation with none of it.

expect: A->B
reply A: Let us plan the trip around the museums.
reply B: ok
reply C: ok
"""

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

history = [SystemMessage("You are a travel agent."), HumanMessage("Plan a day in Oslo.")]
answer = ChatOpenAI(model="A", max_retries=0).invoke(history)
assert isinstance(answer, AIMessage)
history += [answer, HumanMessage("Now make it cheaper.")]
ChatOpenAI(model="B", max_retries=0).invoke(history)
ChatOpenAI(model="C", max_retries=0).invoke([HumanMessage("Plan a day in Bergen.")])
