"""Numbers parsed from an answer ("about 1,250 tokens", "$0.75"), `int(float(...))`, `divmod`, arithmetic,
formatted with `,`/`.2f`/`rjust`/`zfill`; an unrelated literal equal to a computed value is no edge.

expect: A->B P->B
reply A: about 1,250 tokens
reply P: $0.75 per thousand
reply C: ok
"""

import re

import openai

client = openai.OpenAI(max_retries=0)


def ask(model, prompt):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


tokens = int(float(re.search(r"[\d,.]+", ask("A", "How many tokens?")).group().replace(",", "")))
price = float(ask("P", "Price per thousand tokens?").split()[0].lstrip("$"))
cost = tokens / 1000 * price
pages, rest = divmod(tokens, 500)
line = f"{tokens:,} tokens -> ${cost:.2f}; {pages} pages + {str(rest).zfill(4)} tokens; total {str(int(cost * 100)).rjust(6)} cents"
ask("B", line)
pages_budget = 2
assert pages_budget == pages
ask("C", f"Keep it under {pages_budget} pages")
