"""A message envelope: text encoded to UTF-8 bytes, `base64.urlsafe_b64encode`, put in a JSON envelope,
later `json.loads`, decoded back, and sent on; the envelope itself (bytes -> hex) goes to C.

expect: A->B A->C
reply A: Ünïcode payload – with dashes
"""

import base64
import json

import openai


def pack(text):
    payload = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")
    return json.dumps({"v": 1, "payload": payload}, separators=(",", ":"))


def unpack(envelope):
    data = json.loads(envelope)
    return base64.urlsafe_b64decode(data["payload"].encode("ascii")).decode("utf-8")


client = openai.OpenAI(max_retries=0)
answer = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Say something"}]).choices[0].message.content
envelope = pack(answer)
restored = unpack(envelope)
assert restored == answer
client.chat.completions.create(model="B", messages=[{"role": "user", "content": restored}])
raw = bytes(envelope, "utf-8")
client.chat.completions.create(model="C", messages=[{"role": "user", "content": "Envelope bytes: " + raw.hex()[-32:]}])
