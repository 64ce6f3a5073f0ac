"""A prompt library: templates in a module-level dict, filled with `format_map` on a dict subclass with
`__missing__`, `%` with a dict, `string.Template.safe_substitute`, and `textwrap.dedent/indent`.

expect: A->B A->C B->D
reply A: Lisbon
reply B: Lisbon is hilly; bring good shoes.
reply C: ok
"""

import string
import textwrap

import openai

PROMPTS = {
    "tips": "Give travel tips for {city} in {season}. Budget: {budget}.",
    "review": textwrap.dedent(
        """\
        Review these tips:
        $tips
        Reply with a grade."""
    ),
}


class Defaults(dict):
    def __missing__(self, key):
        return "unspecified"


client = openai.OpenAI(max_retries=0)


def complete(model, prompt):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


city = complete("A", "Pick a city")
tips = complete("B", PROMPTS["tips"].format_map(Defaults(city=city, season="spring")))
complete("C", "Packing list for %(city)s, %(days)d days" % {"city": city, "days": 4})
review = string.Template(PROMPTS["review"]).safe_substitute(tips=textwrap.indent(tips, "    "))
complete("D", review)
