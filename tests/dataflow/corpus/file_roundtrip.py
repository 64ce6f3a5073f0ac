"""The answer leaves Python (written to a file, read back): found by content matching.

expect: A~>B
reply A: The migration plan has three phases: inventory the services, move the stateless ones first, then cut over the databases during the weekend window.
"""

import os
import tempfile

import openai

client = openai.OpenAI(max_retries=0)
plan = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Plan"}]).choices[0].message.content
path = os.path.join(tempfile.mkdtemp(), "plan.txt")
with open(path, "w") as f:
    f.write(plan)
with open(path) as f:
    loaded = f.read()
client.chat.completions.create(model="B", messages=[{"role": "user", "content": "Review this plan:\n" + loaded}])
