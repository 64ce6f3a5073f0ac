"""Router: the category only decides which prompt is used.

expect: none
reply R: math
"""
import openai
client = openai.OpenAI(max_retries=0)
question = "What is 2 + 2?"
category = client.chat.completions.create(model="R", messages=[{"role": "user", "content": question}]).choices[0].message.content.strip().lower()
prompts = {"math": "You are a calculator.", "other": "You are helpful."}
system = prompts.get(category, prompts["other"])
client.chat.completions.create(model="M", messages=[{"role": "system", "content": system}, {"role": "user", "content": question}])
