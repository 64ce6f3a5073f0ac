"""Prompt templates: textwrap.dedent of an f-string, string.Template, textwrap.shorten.

expect: A->B A->C
reply A: an unusually long answer that will be shortened by textwrap for the second prompt
"""

import string
import textwrap

import openai

client = openai.OpenAI(max_retries=0)
answer = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Talk"}]).choices[0].message.content
prompt = textwrap.dedent(f"""
    Context:
        {answer}
    Question: what next?
""")
client.chat.completions.create(model="B", messages=[{"role": "user", "content": prompt}])
short = string.Template("Short: $text").substitute(text=textwrap.shorten(answer, width=30))
client.chat.completions.create(model="C", messages=[{"role": "user", "content": short}])
