"""String operations on labelled text (issue 14), each against plain CPython in the same run.

    python bench/dataflow/str_ops.py [--quick] [--json] [--only SUBSTRING]

One row per `str` method and operator: the expression looped in a function compiled as written and
run on plain strings, against the same function rewritten (as the import hook does) and run on
strings labelled as an LLM call's output. Then three prompt builders written as a user would, in
different styles: on labelled inputs (target <= 1.5x) and, rewritten, on plain inputs (target <= 1.2x).
Times: CPU time of this thread, median of interleaved rounds; ratios are with ao / plain.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from bench import best, labelled, make_origins  # bench/dataflow/bench.py (this script's folder is on sys.path)

from ao_instrument.dataflow.import_hook import compile_user_source
from ao_instrument.dataflow.labels import BUDGET, refill_budget
from ao_instrument.dataflow.tracker import Tracker

ANSWER = (
    "The committee reviewed the annual report on Tuesday. Revenue grew by 12 percent, mostly in the "
    "northern region.  Costs stayed flat, although travel spending rose again. The board asked for a "
    "clearer plan for the new product line. Next steps: hire two analysts, cut the backlog, and report "
    "back in March."
)
TEMPLATE = "Summarise for {audience} in {words} words: %s"
TABLE = str.maketrans({"a": "4", "e": "3", ".": None})

# (row, expression, subject): the expression is evaluated on `s`, the subject (labelled or plain), with
# `o` a plain other text, `t` a translation table and `d` a dict keyed by plain text.
ROWS: list[tuple[str, str, str]] = [
    ("s + o", "s + o", ANSWER),
    ("o + s", "o + s", ANSWER),
    ("s += o", "x = s; x += o", ANSWER),
    ("s * 3", "s * 3", ANSWER),
    ("s[i]", "s[7]", ANSWER),
    ("s[a:b]", "s[5:60]", ANSWER),
    ("s[::2]", "s[::2]", ANSWER),
    ("f-string", 'f"Q: {o} A: {s}"', ANSWER),
    ("f-string !r", 'f"{s!r}"', ANSWER),
    ("f-string :>400", 'f"{s:>400}"', ANSWER),
    ("'%s' % s", '"Answer: %s" % s', ANSWER),
    ("s % o (labelled template)", "s % o", TEMPLATE),
    ("'{}'.format(s)", '"Answer: {} ({})".format(s, o)', ANSWER),
    ("s.format(...)", 's.format(audience=o, words=50)', TEMPLATE),
    ("s.format_map(...)", 's.format_map({"audience": o, "words": 50})', TEMPLATE),
    ("sep.join([s, o, s])", '" | ".join([s, o, s])', ANSWER),
    ("s.join(items)", 's.join(["a", "b", "c"])', ", "),
    ("str(s)", "str(s)", ANSWER),
    ("repr(s)", "repr(s)", ANSWER),
    ("format(s, '>400')", 'format(s, ">400")', ANSWER),
    ("split()", "s.split()", ANSWER),
    ("split('.')", 's.split(".")', ANSWER),
    ("rsplit(' ', 2)", 's.rsplit(" ", 2)', ANSWER),
    ("splitlines()", "s.splitlines()", ANSWER.replace(". ", ".\n")),
    ("partition('. ')", 's.partition(". ")', ANSWER),
    ("rpartition('. ')", 's.rpartition(". ")', ANSWER),
    ("replace('the', 'a')", 's.replace("the", "a")', ANSWER),
    ("replace(' ', '', 3)", 's.replace(" ", "", 3)', ANSWER),
    ("upper()", "s.upper()", ANSWER),
    ("lower()", "s.lower()", ANSWER),
    ("title()", "s.title()", ANSWER),
    ("capitalize()", "s.capitalize()", ANSWER),
    ("swapcase()", "s.swapcase()", ANSWER),
    ("casefold()", "s.casefold()", ANSWER),
    ("strip()", "s.strip()", "  " + ANSWER + "\n"),
    ("lstrip()", "s.lstrip()", "  " + ANSWER),
    ("rstrip()", "s.rstrip()", ANSWER + "\n\n"),
    ("strip('.')", 's.strip(".")', ANSWER),
    ("removeprefix()", 's.removeprefix("The ")', ANSWER),
    ("removesuffix()", 's.removesuffix(".")', ANSWER),
    ("center(400)", "s.center(400)", ANSWER),
    ("ljust(400)", "s.ljust(400)", ANSWER),
    ("rjust(400)", "s.rjust(400)", ANSWER),
    ("zfill(400)", "s.zfill(400)", ANSWER),
    ("expandtabs()", "s.expandtabs()", ANSWER.replace(". ", ".\t")),
    ("translate(t)", "s.translate(t)", ANSWER),
    ("encode()", "s.encode()", ANSWER),
    ("find()", 's.find("board")', ANSWER),
    ("rfind()", 's.rfind("the")', ANSWER),
    ("index()", 's.index("board")', ANSWER),
    ("count()", 's.count("the")', ANSWER),
    ("startswith()", 's.startswith("The")', ANSWER),
    ("endswith()", 's.endswith(".")', ANSWER),
    ("'x' in s", '"board" in s', ANSWER),
    ("s == o", "s == o", ANSWER),
    ("s < o", "s < o", ANSWER),
    ("hash: d[s]", "d[s]", ANSWER),
    ("len(s)", "len(s)", ANSWER),
    ("isalpha()", "s.isalpha()", ANSWER),
    ("isdigit()", "s.isdigit()", "20261207"),
    ("isspace()", "s.isspace()", ANSWER),
    ("isupper()", "s.isupper()", ANSWER),
    ("iteration", "for ch in s: pass", ANSWER),
    ("list(s)", "list(s)", ANSWER[:80]),
    ("sorted(set(s.split()))", "sorted(set(s.split()))", ANSWER),
]

BUILDERS = textwrap.dedent(
    '''
    def digest_prompt(answer, question):
        """Sentences of an answer, cleaned and filtered, as a headline and bullet points."""
        sentences = [p.strip() for p in answer.split(".") if p.strip()]
        sentences = [p.replace("  ", " ") for p in sentences if len(p) > 3]
        headline = sentences[0].upper()
        bullets = "\\n".join("- " + p[:60] for p in sentences[1:])
        return f"{headline}\\n\\nKey points:\\n{bullets}\\n\\nQuestion: {question}"

    def transcript_prompt(turns, tool_output):
        """A transcript accumulated with +=, a %-formatted tool result and a .format() instruction."""
        prompt = ""
        for role, content in turns:
            header = ("[" + role.upper() + "]").ljust(12)
            prompt += header + content.replace("\\n", " ").strip() + "\\n"
        prompt += "Tool result (%d chars): %s\\n" % (len(tool_output), tool_output.rstrip())
        prompt += "Reply to the {} in a {} tone.".format(turns[-1][0].lower(), "friendly")
        return prompt

    def profile_prompt(extracted, limit=600):
        """`key: value` lines of an extraction parsed into a dict, then laid out by a template."""
        fields = {}
        for line in extracted.splitlines():
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower().replace(" ", "_")] = value.strip()
        summary = "Name: {name}\\nRole: {role}\\nGoals: {goals}".format_map(fields)
        notes = fields.get("notes", "")
        if len(notes) > 120:
            notes = notes[:120].rsplit(" ", 1)[0] + "..."
        tags = ", ".join(t.strip().title() for t in fields["tags"].split(","))
        text = "\\n".join([summary, "Notes: " + notes.capitalize(), "Tags: " + tags])
        return text[:limit]
    '''
)

EXTRACTED = (
    "# extracted profile\n"
    "Name: Dana Whitfield\n"
    "Role: head of data platform\n"
    "Goals: fewer failed pipelines, cheaper storage\n"
    "Notes: prefers short answers with numbers; has asked twice about the migration timeline and the cost "
    "of keeping the old cluster running until the end of the quarter\n"
    "Tags: data, infra , cost,migration\n"
)
TURNS = [
    ("user", "How did the migration go last week?"),
    ("assistant", "Mostly well.\nTwo pipelines failed on the first night and were re-run by hand."),
    ("user", "What failed exactly?"),
    ("assistant", "The nightly export and the billing roll-up.\nBoth hit the new storage quota.  "),
]
TOOL_OUTPUT = "quota: 2 TB\nused: 1.94 TB\nlargest tables: events (812 GB), billing (301 GB)\n\n"


def row_source() -> str:
    """One function per row, looping its expression `n` times, and `ROW_FUNCTIONS` listing them."""
    lines = []
    for i, (_, expression, _) in enumerate(ROWS):
        lines += [f"def row_{i}(s, o, t, d, n):", "    for _ in range(n):", f"        {expression}", ""]
    lines.append("ROW_FUNCTIONS = [" + ", ".join(f"row_{i}" for i in range(len(ROWS))) + "]")
    return "\n".join(lines) + "\n"


def compiled(source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The source run as written and as rewritten: their namespaces."""
    plain_ns: dict[str, Any] = {"__name__": "str_ops_plain"}
    exec(compile(source, "str_ops", "exec"), plain_ns)
    rewritten_ns: dict[str, Any] = {"__name__": "str_ops_rewritten"}
    exec(compile_user_source(source, "str_ops"), rewritten_ns)
    return plain_ns, rewritten_ns


def median_pair(plain: Callable[[], Any], ao: Callable[[], Any], number: int, rounds: int) -> tuple[float, float]:
    """Medians of interleaved rounds of `number` calls each (seconds per call)."""
    p, a = [], []
    for _ in range(rounds):
        refill_budget()  # labelled values made so far count against the scope's budget (labels.LABEL_BUDGET)
        p.append(best(plain, number))
        a.append(best(ao, number))
        assert BUDGET[0] > 0, "the label budget ran out: later operations made plain values"
    return statistics.median(p), statistics.median(a)


def run(number: int, rounds: int, only: str | None) -> list[dict[str, Any]]:
    tracker = Tracker()
    origins = make_origins(tracker, 8)
    results: list[dict[str, Any]] = []
    plain_ns, rewritten_ns = compiled(row_source())
    other, table, keys = "What does the report say?", TABLE, {ANSWER: 1}
    loops = 20  # iterations inside each row function (the call itself is not what is measured)
    for (name, _, subject), plain_fn, ao_fn in zip(ROWS, plain_ns["ROW_FUNCTIONS"], rewritten_ns["ROW_FUNCTIONS"]):
        if only and only not in name:
            continue
        s_l = labelled(subject, origins[0])
        p, a = median_pair(
            lambda f=plain_fn, s=subject: f(s, other, table, keys, loops),
            lambda f=ao_fn, s=s_l: f(s, other, table, keys, loops),
            number, rounds,
        )  # fmt: skip
        results.append({"row": name, "plain_ns": p / loops * 1e9, "ao_ns": a / loops * 1e9, "ratio": a / p, "target": 2.0})
    if only and only != "builder":
        return results
    bp, br = compiled(BUILDERS)
    answer_l = labelled(ANSWER, origins[1])
    turns_l = [(r, labelled(c, origins[2 + i]) if r == "assistant" else c) for i, (r, c) in enumerate(TURNS)]
    tool_l, extracted_l = labelled(TOOL_OUTPUT, origins[6]), labelled(EXTRACTED, origins[7])
    question = "What should we do next?"
    builders = [
        ("digest_prompt", lambda ns: ns["digest_prompt"](ANSWER, question), lambda ns: ns["digest_prompt"](answer_l, question)),
        ("transcript_prompt", lambda ns: ns["transcript_prompt"](TURNS, TOOL_OUTPUT), lambda ns: ns["transcript_prompt"](turns_l, tool_l)),
        ("profile_prompt", lambda ns: ns["profile_prompt"](EXTRACTED), lambda ns: ns["profile_prompt"](extracted_l)),
    ]
    for name, on_plain, on_labelled in builders:
        assert on_plain(bp) == on_labelled(br) == on_plain(br), name
        p, a = median_pair(lambda: on_plain(bp), lambda: on_labelled(br), number, rounds)
        results.append({"row": f"builder {name}, labelled", "plain_ns": p * 1e9, "ao_ns": a * 1e9, "ratio": a / p, "target": 1.5})
        p, a = median_pair(lambda: on_plain(bp), lambda: on_plain(br), number, rounds)
        results.append({"row": f"builder {name}, plain inputs rewritten", "plain_ns": p * 1e9, "ao_ns": a * 1e9, "ratio": a / p, "target": 1.2})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--only", help="only the rows whose name contains this ('builder': the builders)")
    args = parser.parse_args(argv)
    number, rounds = (20, 5) if args.quick else (100, 11)
    results = run(number, rounds, args.only)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'row':45} {'plain':>10} {'with ao':>10} {'ratio':>7} {'target':>7}")
    for row in results:
        ok = "ok" if row["ratio"] <= row["target"] else "OVER"
        print(f"{row['row']:45} {row['plain_ns']:8.0f}ns {row['ao_ns']:8.0f}ns {row['ratio']:6.2f}x {row['target']:5.1f}x {ok}")
    over = [row for row in results if row["ratio"] > row["target"]]
    print(f"{len(results) - len(over)} of {len(results)} rows within target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
