"""`str.format` (positional, keyword, attribute and index fields) and `format_map`.

expect: A->B A->C
reply A: a quiet harbour town
"""

import openai


class Place:
    def __init__(self, name):
        self.name = name


client = openai.OpenAI(max_retries=0)
place = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Invent a place"}])
place = place.choices[0].message.content
prompt = "Describe {0} ({p.name}) in {n} lines; tags: {tags[0]}".format(place, p=Place(place), n=3, tags=["x"])
template = "Write a poem about {where}."
client.chat.completions.create(model="B", messages=[{"role": "user", "content": prompt}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": template.format_map({"where": place})}])
