"""A chat memory with a sliding window (`deque(maxlen=...)`) and a running `Counter` of topics:
each turn sends only the window, so a reply that fell out of the window is no longer part of the
request (T1 is not an origin of T3). The topic counts are ints (no edge); the most common topic word
is a key taken from T2's text and is sent to S.

expect: T1->T2 T2->T3 T2->S
reply T1: We talked about gardens.
reply T2: Tomatoes need sun, tomatoes need water.
reply T3: Bye.
reply S: ok
"""

from collections import Counter, deque

import openai

client = openai.OpenAI(max_retries=0)
window = deque(maxlen=2)
topics = Counter()
for model, question in (("T1", "Hi"), ("T2", "Tell me about tomatoes"), ("T3", "Thanks")):
    window.append({"role": "user", "content": question})
    reply = client.chat.completions.create(model=model, messages=list(window)).choices[0].message.content
    window.append({"role": "assistant", "content": reply})
    topics.update(w.strip(".,").casefold() for w in reply.split() if len(w) > 5)

word, count = topics.most_common(1)[0]
client.chat.completions.create(model="S", messages=[{"role": "user", "content": f"Topic: {word.title()}"}])
