"""LangChain `RunnableWithMessageHistory` over an in-memory store: the second turn's request holds
the first turn's answer (A) from the history the wrapper keeps.

expect: A->B
reply A: Nice to meet you, Sam. I will remember that you like tea.
reply B: ok
"""

from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory
from langchain_openai import ChatOpenAI

store = {}


def history_for(session_id):
    return store.setdefault(session_id, InMemoryChatMessageHistory())


prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("user", "{question}")])
config = {"configurable": {"session_id": "s1"}}
first = RunnableWithMessageHistory(prompt | ChatOpenAI(model="A", max_retries=0), history_for, input_messages_key="question", history_messages_key="history")
first.invoke({"question": "Hi, I am Sam and I like tea."}, config=config)
second = RunnableWithMessageHistory(prompt | ChatOpenAI(model="B", max_retries=0), history_for, input_messages_key="question", history_messages_key="history")
second.invoke({"question": "What do I like?"}, config=config)
