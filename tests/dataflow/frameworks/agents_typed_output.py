"""OpenAI Agents SDK typed output (`output_type`): the SDK validates A's JSON answer into `Ticket`;
its short `team` field reaches B, its `priority` number reaches C.

expect: A->B A->C
reply A: {"text": {"team": "payments", "priority": 2}}
reply B: ok
reply C: ok
"""

from pydantic import BaseModel

from agents import Agent, Runner, set_default_openai_client, set_tracing_disabled
from openai import AsyncOpenAI

set_tracing_disabled(True)
set_default_openai_client(AsyncOpenAI(max_retries=0))


class Ticket(BaseModel):
    team: str
    priority: int


ticket = Runner.run_sync(Agent(name="router", model="A", output_type=Ticket), "Card declined at checkout").final_output
Runner.run_sync(Agent(name="notify", model="B"), f"Page the {ticket.team} team")
Runner.run_sync(Agent(name="sla", model="C"), f"Hours allowed for priority {ticket.priority + 1}?")
