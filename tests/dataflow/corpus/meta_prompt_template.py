"""Meta-prompting: A writes a `string.Template` prompt (with `$placeholders`) that the program fills from
its own constants and sends to B (the template text is A's: A->B). B's message object is passed on as
`to_json()` (C) and A's as `model_dump(mode="json", exclude_none=True)` in D's history (A->D). E gets a
constant template filled with constants (no edge).

expect: A->B B->C A->D
reply A: You are $role. Answer the question "$question" in $n sentences.
reply B: Water boils at lower temperatures at altitude because air pressure is lower.
reply C: ok
reply D: ok
reply E: ok
"""

import string

import openai

client = openai.OpenAI(max_retries=0)


def complete(model, messages):
    return client.chat.completions.create(model=model, messages=messages).choices[0].message


template_message = complete("A", [{"role": "user", "content": "Write a prompt template with $role, $question and $n"}])
prompt = string.Template(template_message.content).safe_substitute(role="a physics tutor", question="Why does water boil faster in the mountains?", n=2)
answer_message = complete("B", [{"role": "user", "content": prompt}])
complete("C", [{"role": "user", "content": "Grade this message object:\n" + answer_message.to_json(indent=None)}])
history = [{"role": "user", "content": "Improve your template"}, template_message.model_dump(mode="json", exclude_none=True)]
complete("D", history + [{"role": "user", "content": "Shorter, please."}])
complete("E", [{"role": "user", "content": string.Template("Say $word").substitute(word="ok")}])
