"""Reflection: draft, critique, revision.

expect: D->C D->V C->V
"""
import openai
client = openai.OpenAI(max_retries=0)
def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content
draft = ask("D", "Write a tagline")
critique = ask("C", "Critique: " + draft)
ask("V", "Revise {d} using {c}".format(d=draft, c=critique))
