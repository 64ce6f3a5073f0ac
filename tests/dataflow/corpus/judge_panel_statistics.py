"""A judging panel: a planner answers with a Python list literal (`ast.literal_eval`), each judge's
"N/10" is parsed with `re.fullmatch`, and `statistics.mean`/`stdev` of the scores, `math.floor` and
an `Enum` verdict go into the final report; the plan's tasks run one by one.

The verdict Enum member is chosen by comparing the mean to a threshold (control flow): its constant
value adds no edge of its own, but the mean itself is in the same prompt (J1/J2/J3 -> F).

expect: P->W J1->F J2->F J3->F
reply P: ['search the web', 'summarise findings']
reply W: done
reply J1: 7/10
reply J2:  8/10
reply J3: 9/10
reply F: ok
"""

import ast
import enum
import math
import re
import statistics

import openai


class Verdict(enum.Enum):
    PASS = "pass"
    FAIL = "fail"


client = openai.OpenAI(max_retries=0)


def ask(model, prompt):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


tasks = ast.literal_eval(ask("P", "List the tasks as a Python list"))
for task in tasks:
    ask("W", f"Do: {task}")

scores = []
for judge in ("J1", "J2", "J3"):
    match = re.fullmatch(r"\s*(\d+)\s*/\s*10\s*", ask(judge, "Score the work out of 10"))
    if match:
        scores.append(int(match.group(1)))
mean, spread = statistics.mean(scores), statistics.stdev(scores)
verdict = Verdict.PASS if mean >= 7 else Verdict.FAIL
ask("F", f"Verdict {verdict.value}: mean {mean:.1f}, spread {spread:.2f}, floor {math.floor(mean)}")
