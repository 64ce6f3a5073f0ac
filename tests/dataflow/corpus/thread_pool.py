"""Threads: a worker function, and an SDK method submitted directly to the executor.

expect: A->B A->C
"""

from concurrent.futures import ThreadPoolExecutor

import openai

client = openai.OpenAI(max_retries=0)
seed = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Seed"}]).choices[0].message.content


def worker(text):
    return client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Expand: {text}"}])


with ThreadPoolExecutor(2) as pool:
    futures = [
        pool.submit(worker, seed),
        pool.submit(client.chat.completions.create, model="C", messages=[{"role": "user", "content": seed}]),
    ]
    print([f.result().id for f in futures])
