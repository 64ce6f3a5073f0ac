"""The replay benchmark's agent: 50 chat calls, a chain of 30 (each fed by the previous answer) and a
fan-out of 20 over call 20's answer. Writes its own elapsed time (first call to last) to argv[1]."""

import json
import sys
import time

import openai

client = openai.OpenAI(max_retries=0)


def ask(prompt: str) -> str:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
    return reply.choices[0].message.content or ""


start = time.perf_counter()
answers = []
answer = "the beginning"
for step in range(1, 31):
    answer = ask(f"Step {step}: go on from {answer}")
    answers.append(answer)
for branch in range(1, 21):
    answers.append(ask(f"Branch {branch} of {answers[19]}"))
elapsed = time.perf_counter() - start
print("\n".join(answers))
with open(sys.argv[1], "w") as out:
    json.dump({"calls": len(answers), "program_s": elapsed}, out)
