"""Equal but unrelated values: literals equal to short answers ("yes", "a", 1) are not derived from them.

expect: A->D
reply A: yes
reply B: a
reply C: 1
"""

import openai

client = openai.OpenAI(max_retries=0)


def ask(model):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "?"}]).choices[0].message.content


yes, letter, one = ask("A"), ask("B"), int(ask("C"))
assert yes == "yes" and letter == "a" and one == 1
plain = "yes"
client.chat.completions.create(model="E", messages=[{"role": "user", "content": f"Say {plain} and {'a'} and {1}"}])
client.chat.completions.create(model="F", messages=[{"role": "user", "content": "yes" + "a"[0] + str(1)}])
client.chat.completions.create(model="D", messages=[{"role": "user", "content": yes}])
