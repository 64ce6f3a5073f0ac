"""A JSON document holds answers of two calls; after a round trip only the field used counts.

expect: B->C
reply A: alpha answer
reply B: beta answer
"""

import json

import openai

client = openai.OpenAI(max_retries=0)


def ask(model):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "go"}]).choices[0].message.content


state = json.dumps({"first": ask("A"), "second": ask("B"), "note": "plain"})
back = json.loads(state)
client.chat.completions.create(model="C", messages=[{"role": "user", "content": "Use: " + back["second"]}])
