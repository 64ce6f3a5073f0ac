r"""Threads: a producer thread asks A for tasks and puts them on a `queue.Queue`; a consumer thread
takes them off and asks W about each (A->W). A `contextvars.ContextVar` carries the conversation
topic; each worker runs in `copy_context().run`. The answers are collected with
`concurrent.futures.as_completed` and joined for R (W->R). The context variable set from a constant
in the main thread reaches T (no edge).

expect: A->W W->R
reply A: {"text": "index the logs\ncheck the disk"}
reply W: done
reply R: ok
reply T: ok
"""

import contextvars
import queue
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

import openai

client = openai.OpenAI(max_retries=0)
topic = contextvars.ContextVar("topic", default="general")
tasks = queue.Queue()


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


def producer():
    for line in ask("A", "Two maintenance tasks, one per line").splitlines():
        tasks.put(line)
    tasks.put(None)


def consumer(results):
    while (task := tasks.get()) is not None:
        topic.set(task)
        results.append(contextvars.copy_context().run(lambda: ask("W", f"[{topic.get()}] How to {task}?")))


def worker(i, answer):
    return f"{i + 1}) {answer}"


results = []
threads = [threading.Thread(target=producer), threading.Thread(target=consumer, args=(results,))]
for t in threads:
    t.start()
for t in threads:
    t.join()
with ThreadPoolExecutor(max_workers=2) as pool:
    futures = [pool.submit(worker, i, answer) for i, answer in enumerate(results)]
    lines = sorted(f.result() for f in as_completed(futures))
ask("R", "Summarise:\n" + "\n".join(lines))
topic.set("weekly report")
ask("T", f"Topic: {topic.get()}")
