"""A repair loop: the model proposes a config value, the program validates it, and on failure the
formatted traceback (`traceback.format_exc()`, whose last line quotes the bad value) goes back to
the model; the repaired value then reaches the final call. A plain error from the program's own
constant check is sent to N and creates no edge.

expect: A->B B->C
reply A: {"text": {"retries": "three", "timeout": 30}}
reply B: {"text": {"retries": 3, "timeout": 30}}
reply C: ok
reply N: ok
"""

import json
import traceback

import openai

client = openai.OpenAI(max_retries=0)


def validate(config):
    retries = config["retries"]
    if not isinstance(retries, int):
        raise TypeError(f"retries must be an int, got {retries!r}")
    return config


def ask(model, prompt):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


prompt = "Give the client config as JSON"
for model in ("A", "B"):
    try:
        config = validate(json.loads(ask(model, prompt)))
        break
    except TypeError:
        prompt = "Your config failed:\n" + traceback.format_exc().splitlines()[-1] + "\nFix it."

ask("C", f"Apply {config['retries']} retries with a {config['timeout']}s timeout")
try:
    validate({"retries": "many"})
except TypeError:
    ask("N", "The default failed: " + traceback.format_exc(limit=1).splitlines()[-1])
