"""No false edge from the user's own helpers named like library functions: `normalize` maps A's verdict
to a canonical label from a table, `loads` reads a constant config by A's key, `escape` returns a fixed
placeholder, `fill` fills a form from constants. B gets only those (no edge; a value selected by a
labelled key is no edge, README limits). C gets A's verdict itself through `textwrap.fill` and
`html.escape` (the library ones): A->C.

expect: A->C
reply A:  Yes 
reply B: ok
reply C: ok
"""

import html
import textwrap

import openai

CANON = {"yes": "APPROVED", "no": "REJECTED"}
CONFIGS = {"yes": '{"retries": 3, "queue": "fast"}', "no": '{"retries": 0, "queue": "slow"}'}


def normalize(answer):
    return CANON.get(answer.strip().lower(), "UNKNOWN")


def loads(key):
    import json

    return json.loads(CONFIGS[normalize(key) == "APPROVED" and "yes" or "no"])


def escape(text):
    return "[redacted]"


def fill(form, _answer):
    return form.replace("{status}", "reviewed")


client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


verdict = ask("A", "Approve the change? yes/no")
config = loads(verdict)
ask("B", f"Status {normalize(verdict)}; queue {config['queue']} x{config['retries']}; note {escape(verdict)}; {fill('form: {status}', verdict)}")
ask("C", textwrap.fill("Reviewer said: " + html.escape(verdict.strip()), width=40))
