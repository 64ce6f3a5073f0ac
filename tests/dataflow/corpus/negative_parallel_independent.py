"""Parallel calls that share nothing: threads and tasks each ask their own question; each answer goes
only to its own follow-up (per-worker state in a dict keyed by worker name, which is a constant).
Answers that are equal ("yes" twice) must not cross: B1 derives from A1 only, B2 from A2 only.

expect: A1->B1 A2->B2
reply A1: yes
reply A2: yes
reply B1: ok
reply B2: ok
"""

from concurrent.futures import ThreadPoolExecutor

import openai

client = openai.OpenAI(max_retries=0)
state = {}


def worker(name):
    first = client.chat.completions.create(model=f"A{name}", messages=[{"role": "user", "content": "Proceed?"}]).choices[0].message.content
    state[name] = first
    return name


with ThreadPoolExecutor(max_workers=2) as pool:
    names = list(pool.map(worker, ["1", "2"]))
for name in names:
    decision = state[name]
    client.chat.completions.create(model=f"B{name}", messages=[{"role": "user", "content": f"You said {decision}; go on."}])
