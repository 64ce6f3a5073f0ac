"""threading.Thread workers write answers into a shared list; the main thread sends them on.

expect: A->C B->C
"""

import threading

import openai

client = openai.OpenAI(max_retries=0)
results = {}


def work(model):
    results[model] = client.chat.completions.create(model=model, messages=[{"role": "user", "content": model}]).choices[0].message.content


threads = [threading.Thread(target=work, args=(m,)) for m in ("A", "B")]
for t in threads:
    t.start()
for t in threads:
    t.join()
client.chat.completions.create(model="C", messages=[{"role": "user", "content": results["A"] + " / " + results["B"]}])
