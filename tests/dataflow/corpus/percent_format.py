"""printf-style `%` with a tuple and with a mapping.

expect: A->B A->C
reply A: Photosynthesis in leaves
"""

import openai

client = openai.OpenAI(max_retries=0)
topic = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Pick a topic"}])
topic = topic.choices[0].message.content
by_tuple = "Explain %s in %d words (%5.1f%%)." % (topic, 50, 99.5)
by_mapping = "Quiz me on %(topic)s, please." % {"topic": topic}
client.chat.completions.create(model="B", messages=[{"role": "user", "content": by_tuple}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": by_mapping}])
