"""`re`: search groups, findall, finditer, sub, match().groups(), groupdict() and match[...] on the answer.

expect: A->B A->C A->D A->E
reply A: The order number is 48213 and the code is XK-9.
"""

import re

import openai

client = openai.OpenAI(max_retries=0)
text = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Order?"}]).choices[0].message.content
number = re.search(r"order number is (\d+)", text).group(1)
codes = re.findall(r"[A-Z]{2}-\d", text)
words = [m.group(0) for m in re.finditer(r"\b\w{5,}\b", text)]
masked = re.sub(r"\d", "#", text)
pattern = re.compile(r"code is (?P<code>\S+)")
code = pattern.search(text)["code"]
client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Track order {number} / {codes[0]} / {code}"}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": masked}])
client.chat.completions.create(model="D", messages=[{"role": "user", "content": " ".join(words)}])
head = re.match(r"(\w+) (\w+)", text).groups()
named = re.fullmatch(r"(?P<all>.*)", text).groupdict()["all"]
client.chat.completions.create(model="E", messages=[{"role": "user", "content": f"{head[1]} / {named[:5]}"}])
