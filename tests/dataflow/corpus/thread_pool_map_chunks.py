"""Map-reduce over chunks: A's document wrapped with `textwrap.wrap`, chunks summarised in a
`ThreadPoolExecutor.map` with a `functools.partial` worker, results gathered into a `deque` and
reduced with `itertools.chain` into the final call.

expect: A->W W->R
reply A: The committee met on Monday and agreed on a budget. The new park opens in May. Residents asked for more bike lanes and longer library hours.
reply W: summary point
reply R: final digest
"""

import functools
import itertools
import textwrap
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import openai

client = openai.OpenAI(max_retries=0)


def summarise(chunk, *, model, style):
    prompt = f"Summarise ({style}):\n{chunk}"
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


document = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Town news"}]).choices[0].message.content
chunks = textwrap.wrap(document, width=60)
worker = functools.partial(summarise, model="W", style="one line")
results = deque()
with ThreadPoolExecutor(max_workers=2) as pool:
    for summary in pool.map(worker, chunks):
        results.append(summary.rstrip("."))
bullets = ["- " + s for s in itertools.chain(results, ["(end)"])]
client.chat.completions.create(model="R", messages=[{"role": "user", "content": "\n".join(bullets)}])
