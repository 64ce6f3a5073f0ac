"""An imported user module keeps the answer in a module global and builds the next prompt.

expect: A->B
"""

import _helpers
import openai

client = openai.OpenAI(max_retries=0)
_helpers.remember("draft", client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Draft"}]).choices[0].message.content)
client.chat.completions.create(model="B", messages=[{"role": "user", "content": _helpers.prompt_for("draft")}])
