"""Equal text and lookups are no edge: A answers a country; the program looks up a capital in its own
table with the answer as key (a value selected by a labelled key, README limits), builds a prompt
from literals that happen to equal B's short answer ("Paris", "42"), and formats an int it computed
itself that equals B's number. Only D, which quotes A's answer, has an edge.

expect: A->D
reply A: France
reply B: 42
reply C: ok
reply D: ok
"""

import openai

CAPITALS = {"France": "Paris", "Japan": "Tokyo"}

client = openai.OpenAI(max_retries=0)


def ask(model, prompt):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


country = ask("A", "Name a country")
number = int(ask("B", "A number"))
capital = CAPITALS.get(country.strip(), "unknown")
answer = 6 * 7
assert answer == number
ask("C", f"Tell me about {capital}. The answer is {answer}. Also {'Paris'} and {str(42)}.")
ask("D", f"Tell me about {country!s}.")
