"""The model answers JSON: `json.loads` fields go into one prompt, `json.dumps` of them into another.

expect: A->B A->C
reply A: {"text": {"city": "Lisbon", "population": 545000, "tags": ["coast", "hills"]}}
"""

import json

import openai

client = openai.OpenAI(max_retries=0)
data = json.loads(client.chat.completions.create(model="A", messages=[{"role": "user", "content": "A city as JSON"}]).choices[0].message.content)
prompt = f"Tell me about {data['city']}, population {data['population'] // 1000}k, {data['tags'][1]}"
client.chat.completions.create(model="B", messages=[{"role": "user", "content": prompt}])
payload = json.dumps({"request": "compare", "subject": data["city"]}, indent=2)
client.chat.completions.create(model="C", messages=[{"role": "user", "content": payload}])
