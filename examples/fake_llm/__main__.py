"""Command line: `python -m fake_llm [--host H] [--port P] [--replies FILE] [--embedding-dims N]`."""

from __future__ import annotations

import argparse

from .replies import load_rules
from .server import FakeLLM


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="fake_llm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--replies", help="JSON reply file: a list of rules, or {'rules': [...]}")
    parser.add_argument("--embedding-dims", type=int, default=8)
    args = parser.parse_args(argv)
    rules = load_rules(args.replies) if args.replies else []
    fake = FakeLLM(args.port, args.host, rules=rules, embedding_dims=args.embedding_dims)
    fake.serve_forever(on_ready=lambda server: print(f"fake LLM listening on {server.url}", flush=True))


if __name__ == "__main__":
    main()
