"""pydantic: `model_validate_json` of the answer, attribute access, `model_dump`, constructing models.

expect: A->B A->C
reply A: {"text": {"city": "Kyoto", "days": 3}}
"""

import openai
import pydantic


class Trip(pydantic.BaseModel):
    city: str
    days: int


class Plan(pydantic.BaseModel):
    trip: Trip
    note: str = ""


client = openai.OpenAI(max_retries=0)
raw = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Trip as JSON"}]).choices[0].message.content
trip = Trip.model_validate_json(raw)
plan = Plan(trip=trip.model_dump(), note=f"{trip.days} days")
client.chat.completions.create(model="B", messages=[{"role": "user", "content": f"Plan for {plan.trip.city}"}])
client.chat.completions.create(model="C", messages=[{"role": "user", "content": plan.model_dump_json()}])
