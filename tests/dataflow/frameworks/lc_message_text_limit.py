"""A limit: LangChain's `message.text` is a `str` subclass (`TextAccessor`, callable for the
deprecated `.text()`) built from the content, so user code reading it gets plain text; a long answer
is still found by content matching, a short one would not be. `message.content` keeps the label.

expect: A~>B A->C
reply A: Bring a warm coat, gloves and sturdy boots for the hike.
reply B: ok
reply C: ok
"""

from langchain_openai import ChatOpenAI

answer = ChatOpenAI(model="A", max_retries=0).invoke("What to wear for a winter hike?")
ChatOpenAI(model="B", max_retries=0).invoke(f"Make a checklist: {answer.text}")
ChatOpenAI(model="C", max_retries=0).invoke(f"Make a checklist: {answer.content}")
