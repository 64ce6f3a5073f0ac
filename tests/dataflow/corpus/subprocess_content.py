"""The answer passes through a subprocess; an extract of it is found by content matching.

expect: A~>B
reply A: Step one is to gather the requirements from every team. Step two is to write the design document and circulate it for comments. Step three is to build a prototype.
"""

import subprocess

import openai

client = openai.OpenAI(max_retries=0)
steps = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Steps"}]).choices[0].message.content
echoed = subprocess.run(["cat"], input=steps, capture_output=True, text=True, check=True).stdout
middle = echoed[echoed.index("Step two") : echoed.index("Step three")]
client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Only this part: {middle}"}])
