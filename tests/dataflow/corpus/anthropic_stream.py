"""Anthropic `messages.stream()`: text_stream pieces joined, and get_final_text().

expect: A->B A->C
reply A: a streamed anthropic answer in pieces
"""

import anthropic

client = anthropic.Anthropic(max_retries=0)
with client.messages.stream(model="A", max_tokens=50, messages=[{"role": "user", "content": "Stream"}]) as stream:
    pieces = [text for text in stream.text_stream]
    final = stream.get_final_text()
client.messages.create(model="B", max_tokens=50, messages=[{"role": "user", "content": "".join(pieces)}])
client.messages.create(model="C", max_tokens=50, messages=[{"role": "user", "content": [{"type": "text", "text": final}]}])
