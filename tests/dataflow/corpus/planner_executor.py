"""Planner/executor: the plan is split into steps, each step is a call, results are summarized.

expect: P->S P->F S->F
reply P: 1. Gather data\n2. Analyze trends\n3. Write report
"""
import openai
client = openai.OpenAI(max_retries=0)
plan = client.chat.completions.create(model="P", messages=[{"role": "user", "content": "Plan"}]).choices[0].message.content
steps = [line.split(". ", 1)[1] for line in plan.splitlines() if line.strip()]
results = []
for step in steps:
    r = client.chat.completions.create(model="S", messages=[{"role": "user", "content": f"Do: {step}"}])
    results.append(r.choices[0].message.content)
final = client.chat.completions.create(model="F", messages=[{"role": "system", "content": "Plan was:\n" + plan}, {"role": "user", "content": "\n".join(results)}])
