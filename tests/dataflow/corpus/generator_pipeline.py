"""A generator pipeline transforms answers lazily before they are sent.

expect: A->B
reply A: line one\nline two\n\nline three
"""

import openai

client = openai.OpenAI(max_retries=0)
text = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Lines"}]).choices[0].message.content


def cleaned(lines):
    for line in lines:
        if line.strip():
            yield line.strip().capitalize()


def numbered(items):
    for i, item in enumerate(items, 1):
        yield "%d. %s" % (i, item)


client.chat.completions.create(model="B", messages=[{"role": "user", "content": "\n".join(numbered(cleaned(text.splitlines())))}])
