"""`map` with builtins and bound methods: A's comma-separated scores are parsed with `map(int, ...)`
(the total reaches B), A's labels become bullets with `map("- {}".format, ...)` (C), pairs are joined
with `map(": ".join, ...)` (D); E's encoded answer pieces are joined as bytes (`b"\n".join`) and
base64-encoded for F. G gets `map(len, ...)` counts only (no edge).

expect: A->B A->C A->D E->F
reply A: 7,9,4|speed,cost,risk
reply B: ok
reply C: ok
reply D: ok
reply E: first line
reply F: ok
reply G: ok
"""

import base64

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


numbers, names = ask("A", "Scores and labels").split("|")
scores = list(map(int, numbers.split(",")))
ask("B", f"The total score is {sum(scores)} out of {10 * len(scores)}.")
ask("C", "Criteria:\n" + "\n".join(map("- {}".format, names.split(","))))
ask("D", "; ".join(map(": ".join, zip(names.split(","), numbers.split(",")))))
pieces = [ask("E", "Say something").encode(), b"second line"]
payload = base64.b64encode(b"\n".join(pieces)).decode("ascii")
ask("F", "Decode and answer: " + payload)
ask("G", "Lengths: " + ", ".join(map(str, map(len, names.split(",")))))
