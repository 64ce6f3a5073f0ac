"""Tool inputs escaped for their medium: A's search phrase goes into a URL query
(`urllib.parse.urlencode`) for a browsing model B, into an HTML snippet (`html.escape`) for C, into a
shell command (`shlex.quote`) for D and into a regular expression (`re.escape`) for E. F gets the
escaped forms of a constant phrase only (no edge).

expect: A->B A->C A->D A->E
reply A: cats & dogs <2024>
reply B: ok
reply C: ok
reply D: ok
reply E: ok
reply F: ok
"""

import html
import re
import shlex
from urllib.parse import urlencode

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, content):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}]).choices[0].message.content


phrase = ask("A", "A search phrase").strip()
url = "https://search.example/?" + urlencode({"q": phrase, "page": 1, "safe": "on"})
ask("B", f"Open {url} and summarise the first result.")
ask("C", f"<p class='query'>{html.escape(phrase)}</p> is shown to users; is it safe?")
ask("D", "Explain this command: grep -ri " + shlex.quote(phrase) + " notes/")
pattern = r"\b" + re.escape(phrase) + r"\b"
ask("E", f"Will the pattern /{pattern}/ match 'cats & dogs <2024>'?")
constant = "weekly report"
ask("F", " ".join([urlencode({"q": constant}), html.escape(constant), shlex.quote(constant), re.escape(constant)]))
