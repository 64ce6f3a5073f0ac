"""Module-level code everywhere: comprehensions, f-strings, % and join at top level.

expect: A->B A->C
reply A: red green blue
"""
import openai
client = openai.OpenAI(max_retries=0)
colors = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "colors"}]).choices[0].message.content.split()
upper = [f"<{c.upper()}>" for c in colors]
line = "%s and %s" % (upper[0], colors[-1])
client.chat.completions.create(model="B", messages=[{"role": "user", "content": line}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": ", ".join(c for c in colors if len(c) > 3)}])
