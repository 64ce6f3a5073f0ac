"""`str.join` over a generator and over a list comprehension of several answers.

expect: A->C B->C A->D
"""

import openai

client = openai.OpenAI(max_retries=0)
answers = [
    client.chat.completions.create(model=m, messages=[{"role": "user", "content": q}]).choices[0].message.content
    for m, q in (("A", "first idea"), ("B", "second idea"))
]
bullets = "\n".join(f"- {a.strip()}" for a in answers)
client.chat.completions.create(model="C", messages=[{"role": "user", "content": "Rank:\n" + bullets}])
only_first = ", ".join([answers[0][:10], "and nothing else"])
client.chat.completions.create(model="D", messages=[{"role": "user", "content": only_first}])
