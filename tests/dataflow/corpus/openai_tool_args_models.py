"""OpenAI tool calls validated into pydantic models: `model_validate_json(call.function.arguments)`,
a `field_validator`, a `@computed_field`-style property, the tool result `model_dump_json()`, and the
assistant message passed back with `model_dump(exclude_none=True)`.

expect: A->B A->C
reply A: {"tool_call": {"name": "book_table", "arguments": {"restaurant": "  Luigi's ", "people": "4", "time": "19:30"}}}
reply B: Booked.
"""

import openai
from pydantic import BaseModel, field_validator


class Booking(BaseModel):
    restaurant: str
    people: int
    time: str

    @field_validator("restaurant")
    @classmethod
    def tidy(cls, value):
        return value.strip()

    @property
    def label(self):
        return f"{self.restaurant} @ {self.time}"


class Confirmation(BaseModel):
    ok: bool
    summary: str
    seats: int


TOOLS = [{"type": "function", "function": {"name": "book_table", "parameters": {"type": "object", "properties": {}}}}]

client = openai.OpenAI(max_retries=0)
messages = [{"role": "user", "content": "Book a table"}]
message = client.chat.completions.create(model="A", messages=messages, tools=TOOLS).choices[0].message
messages.append(message.model_dump(exclude_none=True))
for call in message.tool_calls:
    booking = Booking.model_validate_json(call.function.arguments)
    confirmation = Confirmation(ok=True, summary=booking.label, seats=booking.people + 1)
    messages.append({"role": "tool", "tool_call_id": call.id, "content": confirmation.model_dump_json()})
client.chat.completions.create(model="B", messages=messages, tools=TOOLS)
client.chat.completions.create(model="C", messages=[{"role": "user", "content": f"Remind me: {confirmation.summary}, {confirmation.seats} seats"}])
