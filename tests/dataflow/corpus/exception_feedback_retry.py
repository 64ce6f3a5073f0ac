"""Validation errors fed back to the model: a parser raises a custom exception carrying the bad output
(`!r` in the message, the raw text as an attribute), a retry loop catches it and sends `str(err)` back;
a `logging`-style error summary is built from `err.args`.

expect: A->B B->C A->D
reply A: forty-two
reply B: 42
reply C: thanks
"""

import openai


class ParseError(ValueError):
    def __init__(self, raw, reason):
        super().__init__(f"could not parse {raw!r}: {reason}")
        self.raw = raw


def parse_number(raw):
    cleaned = raw.strip().rstrip(".")
    if not cleaned.isdigit():
        raise ParseError(cleaned, "expected digits")
    return int(cleaned)


client = openai.OpenAI(max_retries=0)
messages = [{"role": "user", "content": "How many? Answer with digits."}]
failures = []
for model in ("A", "B"):
    answer = client.chat.completions.create(model=model, messages=messages[-1:]).choices[0].message.content
    try:
        value = parse_number(answer)
        break
    except ParseError as err:
        failures.append(err)
        messages.append({"role": "user", "content": f"{err}. Try again with digits only."})

client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Double it: {value * 2}"}])
summary = "; ".join("%s (raw=%s)" % (type(e).__name__, e.raw) for e in failures)
client.chat.completions.create(model="D", messages=[{"role": "user", "content": f"Failures so far: {summary}"}])
