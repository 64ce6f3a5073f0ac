"""An agent class with memory; map(str.strip, ...), deque, itertools.chain, heapq.

expect: A->B A->C
reply A: alpha ,  beta , gamma
"""
import collections
import heapq
import itertools

import openai

class Agent:
    def __init__(self):
        self.client = openai.OpenAI(max_retries=0)
        self.memory = collections.deque(maxlen=5)
    def ask(self, model, content):
        out = self.client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content
        self.memory.append(out)
        return out

agent = Agent()
items = list(map(str.strip, agent.ask("A", "list").split(",")))
smallest = heapq.nsmallest(2, items)
agent.ask("B", " & ".join(itertools.chain(smallest, ["delta"])))
agent.ask("C", str.upper(items[0]) + str.join("|", items))
