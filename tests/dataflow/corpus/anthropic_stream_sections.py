r"""Anthropic streaming with `text_stream`, pieces accumulated into a list; the text is split into a
title and a body with `partition`/`rpartition`/`splitlines`, cleaned with `translate`, `casefold`,
`expandtabs`, `center`, `zfill`, and the sections go to different calls.

expect: A->B A->C A->D
reply A: {"text": "Weekly Report\n\nSales\tup 4%\nCosts\tflat\n-- end: ok"}
reply D: fine
"""

import anthropic

client = anthropic.Anthropic(max_retries=0)
chunks = []
with client.messages.stream(model="A", max_tokens=100, messages=[{"role": "user", "content": "Report"}]) as stream:
    for piece in stream.text_stream:
        chunks.append(piece)
full = "".join(chunks)
title, _, body = full.partition("\n\n")
body, _, trailer = body.rpartition("\n-- ")
table = [line.expandtabs(8) for line in body.splitlines()]
banner = title.casefold().translate(str.maketrans({" ": "_"})).center(30, "=")
client.messages.create(model="B", max_tokens=50, messages=[{"role": "user", "content": banner}])
client.messages.create(model="C", max_tokens=50, messages=[{"role": "user", "content": "\n".join(row.rjust(24) for row in table)}])
status = trailer.rpartition(":")[2].strip().upper().zfill(4)
client.messages.create(model="D", max_tokens=50, messages=[{"role": "user", "content": f"Status code {status}"}])
