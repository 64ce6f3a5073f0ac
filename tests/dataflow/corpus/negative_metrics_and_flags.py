"""No edge from measurements and decisions about an answer: `len()`, `count`, `find`, a word count,
booleans the model decided (`"unsafe" in verdict`), and a constant prompt chosen from a table by the
answer. These are facts *about* the text or control decisions, not its data: C3 says control
dependence alone is no edge, and the README lists `len()`, `find`/`index`/`count`, comparisons and
values selected by a labelled key as not propagated by design. B and C's prompts hold only such values.

expect: none
reply A: SAFE. The request looks harmless; nothing unsafe here.
reply B: fine
reply C: fine
"""

import openai

PROMPTS = {True: "Proceed with the task.", False: "Refuse politely."}

client = openai.OpenAI(max_retries=0)
verdict = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Is it safe?"}]).choices[0].message.content
is_safe = verdict.split(".")[0].strip().upper() == "SAFE"
mentions = verdict.lower().count("unsafe")
first_dot = verdict.find(".")
words = len(verdict.split())
stats = f"safe={is_safe} mentions={mentions} dot_at={first_dot} words={words} chars={len(verdict)}"
client.chat.completions.create(model="B", messages=[{"role": "user", "content": stats}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": PROMPTS[is_safe] + " " + PROMPTS[mentions > 5]}])
