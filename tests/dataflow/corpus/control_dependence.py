"""Control dependence only: the answer decides which constant prompt is sent; no dataflow edge.

expect: none
reply A: yes
"""

import openai

client = openai.OpenAI(max_retries=0)
out = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Continue?"}]).choices[0].message.content
if out.strip().lower() == "yes":
    client.chat.completions.create(model="B", messages=[{"role": "user", "content": "Then continue the story."}])
verdict = "approved" if "yes" in out else "rejected"
length = len(out)
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Status: {verdict}, {length > 2}"}])
