"""More propagation cases found by writing agent programs the way users do (the corpus programs added
with this file): each test runs real rewritten code on real labelled values, no mocks."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from ao_instrument.dataflow import patches
from ao_instrument.dataflow.import_hook import rewritten_source
from ao_instrument.dataflow.labels import ranges_of
from ao_instrument.dataflow.scopes import Origin
from tests.dataflow.conftest import ids, label, run, run_plain

Make = Callable[[int], Origin]


# re.split and Pattern.split: pieces and captured groups keep the labels of where they were.
SPLITS = """
    import re
    ITEM = re.compile(r"\\s*\\d+\\.\\s*")
    def pieces(text):
        return [
            re.split(r"\\s*\\d+\\.\\s*", text),
            ITEM.split(text),
            ITEM.split(text, 1),
            re.split(r"(\\d+)\\.", text, maxsplit=2),
            re.split(r"(x)?(\\d)", text),
            re.split(r"\\b", text),
            re.split(r"z", text),
            re.split(r"\\s", text, -1),
            text.split(),
            text.split(".", 1),
            text.split(maxsplit=1),
        ]
    out = pieces(text)
    top = [re.split(r"\\s+", text), ITEM.split(text)]
"""


def test_re_split_keeps_labels_and_values(origin: Make) -> None:
    text = "1. collect logs 2. find the test 3. fix"
    got = run(SPLITS, text=label(text, origin(1)))
    want = run_plain(SPLITS, text=text)
    assert got["out"] == want["out"] and got["top"] == want["top"]
    steps = got["out"][0]
    assert steps == ["", "collect logs", "find the test", "fix"]
    assert all(ids(s) == {1} for s in steps if s)
    assert ranges_of(steps[2])[0][:2] == (0, len("find the test"))
    for result in got["out"][1:] + got["top"]:
        assert all(ids(item) == {1} for item in result if item), result
    assert got["out"][4][1] is None  # an unmatched group stays None


def test_re_split_of_mixed_text_labels_each_piece_by_its_origin(origin: Make) -> None:
    a, b = label("alpha, beta", origin(1)), label("gamma", origin(2))
    ns = run("import re\ndef f(t):\n    return re.split(r',\\s*', t)\nout = f(a + ', ' + b)", a=a, b=b)
    assert ns["out"] == ["alpha", "beta", "gamma"]
    assert [ids(p) for p in ns["out"]] == [{1}, {1}, {2}]


def test_split_guard_keeps_python_semantics() -> None:
    source = """
        import re
        calls = []
        class Splitter:
            def split(self, *args, **kwargs):
                calls.append((args, kwargs))
                return ["custom"]
        def receiver(value):
            calls.append("receiver")
            return value
        def arg(value):
            calls.append("arg")
            return value
        def f():
            out = [receiver("a b").split(arg(" ")), receiver(b"a,b").split(arg(b",")), Splitter().split(1, k=2),
                   re.split(",", "x,y"), re.compile(",").split("p,q"), "a b".split(*[None, 1])]
            try:
                (5).split()
            except AttributeError as e:
                out.append(str(e))
            return out
        out = f()
    """
    assert run(source)["out"] == run_plain(source)["out"]
    assert run(source)["calls"] == run_plain(source)["calls"]


def test_split_on_plain_text_stays_inline() -> None:
    code = rewritten_source("def f(x):\n    return x.split(',')\n")
    assert "@m1.split(@ao1" in code and "@type((@ao1 := x)) in @P" in code


# bytes.hex: two characters per byte.
def test_bytes_hex_keeps_positions(origin: Make) -> None:
    a = label("ab", origin(1))
    ns = run("def f(x):\n    b = ('..' + x).encode()\n    return b.hex(), b.hex(':'), b.hex()[4:]\nout = f(a)", a=a)
    whole, sep, tail = ns["out"]
    assert (whole, sep, tail) == ("2e2e6162", "2e:2e:61:62", "6162")
    assert ranges_of(whole)[0][:2] == (4, 8) and ids(tail) == {1} and ids(sep) == {1}


# pathlib interns path parts (Python < 3.12): labelled parts must not make it raise.
def test_pathlib_accepts_labelled_parts(origin: Make, tmp_path: pathlib.Path) -> None:
    title = label("quarterly notes", origin(1))
    patches.install()
    try:
        source = """
            import pathlib
            def save(folder, title, body):
                path = (pathlib.Path(folder) / "-".join(title.split())).with_suffix(".md")
                path.write_text(body)
                copy = path.with_name(path.stem + "-copy.md")
                copy.write_text(path.read_text())
                return copy.name, str(pathlib.PurePath(title, "x")), copy.match(title[:3] + "*"), copy.read_text()
            out = save(folder, title, title)
        """
        name, joined, matched, body = run(source, folder=str(tmp_path), title=title)["out"]
    finally:
        patches.uninstall()
    assert (name, joined, matched, body) == ("quarterly-notes-copy.md", "quarterly notes/x", True, "quarterly notes")
    assert type(name) is str  # paths do not carry labels


# Library code that rebuilds a value with its class (`type(x)(v)`, as `statistics` does) gets a
# well-formed value: never a labelled instance without labels.
def test_labelled_classes_called_by_library_code(origin: Make) -> None:
    from fractions import Fraction

    from ao_instrument.dataflow.labels import LBytes, LFloat, LInt, LStr, number

    n = number(2.5, (origin(1),))
    s = label("héllo", origin(2))
    assert type(LFloat(Fraction(8, 3))) is float and type(LInt("12")) is int and type(LStr("x")) is str
    assert ids(LFloat(n)) == {1} and ids(LInt(number(7, (origin(1),)))) == {1}
    assert LStr(s) is s and ids(LBytes(s, "utf-8")) == {2} and ids(LStr(s.encode(), "utf-8")) == {2}
    assert type(LBytes(b"ab")) is bytes and LBytes(3) == b"\0\0\0"


STATISTICS = """
    import math
    import statistics
    from statistics import mean
    def summary(text):
        xs = [float(p) for p in text.split(",")]
        ints = [int(float(p)) for p in text.split(",")]
        return [statistics.mean(xs), mean(ints), statistics.fmean(xs), statistics.median(xs), statistics.stdev(xs),
                statistics.pvariance(ints), math.sqrt(xs[0]), math.fsum(xs), math.prod(ints), statistics.mean([1, 2])]
    out = summary(text)
"""


def test_statistics_and_math_results_keep_origins(origin: Make) -> None:
    text = "1.5,2.5,4"
    got = run(STATISTICS, text=label(text, origin(1)))["out"]
    assert got == run_plain(STATISTICS, text=text)["out"]
    assert [ids(v) for v in got] == [{1}] * 9 + [set()]
    assert f"{got[0]:.2f}" == "2.67" and ids(f"{got[0]:.2f}") == {1}


LITERALS = """
    import ast
    def parse(x, y):
        return ast.literal_eval(f"[{x!r}, {{'n': {y}, 't': ('k', 2.5)}}]"), ast.literal_eval("[1, 'a']")
    out = parse(x, y)
"""


def test_literal_eval_labels_what_each_value_came_from(origin: Make) -> None:
    x, y = label("first", origin(1)), label("41", origin(2))
    got = run(LITERALS, x=x, y=y)["out"]
    assert got == run_plain(LITERALS, x="first", y="41")["out"]
    (word, table), constant = got
    assert ids(word) == {1} and ids(table["n"]) == {2} and ids(table["n"] + 1) == {2}
    assert ids(table["t"][0]) == set() and type(table["t"]) is tuple
    assert [ids(v) for v in constant] == [set(), set()]


TRACEBACKS = """
    import traceback
    from traceback import format_exc
    def fail(x):
        raise ValueError(f"cannot use {x!r}")
    def caught(x):
        try:
            fail(x)
        except ValueError as err:
            return [format_exc().splitlines()[-1], traceback.format_exc(limit=0), "".join(traceback.format_exception_only(type(err), err)),
                    traceback.format_exception(err)[-1]]
    out = caught(x)
    try:
        fail("plain")
    except ValueError:
        plain_text = traceback.format_exc().splitlines()[-1]
"""


def test_formatted_tracebacks_keep_the_exception_text_labels(origin: Make) -> None:
    got = run(TRACEBACKS, x=label("rm -rf", origin(1)))
    want = run_plain(TRACEBACKS, x="rm -rf")
    assert [v.replace("<rewritten>", "") for v in got["out"]] == [v.replace("<plain>", "") for v in want["out"]]
    assert all(ids(v) == {1} for v in got["out"])
    last = got["out"][0]
    assert last == "ValueError: cannot use 'rm -rf'" and ranges_of(last)[0][:2] == (len(last) - 7, len(last) - 1)
    assert ids(got["plain_text"]) == set()


# string.Formatter and logging lay text out in library code: their results locate the labelled inputs.
FORMATTERS = """
    import logging
    import string
    class Starred(string.Formatter):
        def format_field(self, value, spec):
            return "*" + super().format_field(value, spec) + "*"
    class Collect(logging.Handler):
        def __init__(self):
            super().__init__()
            self.lines = []
        def emit(self, record):
            self.lines.append(self.format(record))
    def report(x):
        log = logging.getLogger("formatters-test")
        log.propagate = False
        handler = Collect()
        handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s: %(message)s"))
        log.addHandler(handler)
        log.warning("plan: %s (%d steps)", x, 3)
        log.warning(x + "!")
        log.warning("plain %s", "text")
        record = logging.LogRecord("n", 20, "p", 1, "got %r", (x,), None)
        log.removeHandler(handler)
        return [string.Formatter().format("[{0}] {k:>12}", x, k=x), Starred().vformat("<{}>", (x,), {}),
                record.getMessage(), *handler.lines]
    out = report(x)
"""


def test_string_formatter_and_logging_keep_labels(origin: Make) -> None:
    patches.install()
    try:
        got = run(FORMATTERS, x=label("ship it", origin(1)))["out"]
        want = run_plain(FORMATTERS, x="ship it")["out"]
    finally:
        patches.uninstall()
    assert got == want
    assert [ids(v) for v in got] == [{1}] * 5 + [set()]
    assert got[0] == "[ship it]      ship it" and ranges_of(got[0])[0][:2] == (1, 8)
    assert got[3] == "WARNING:formatters-test: plan: ship it (3 steps)"
    assert ranges_of(got[3])[0][:2] == (31, 38)


# urllib.parse.urlencode quotes in library code: each labelled key or value is found by its quoted form.
URLENCODE = """
    import urllib.parse
    from urllib.parse import quote, urlencode
    def query(x):
        return [urlencode({"q": x, "n": 2}), urllib.parse.urlencode([("a", "b"), ("q", x)], quote_via=quote),
                urlencode({"tags": [x, "y"]}, doseq=True), urlencode({"q": "plain"})]
    out = query(x)
"""


def test_urlencode_keeps_labels(origin: Make) -> None:
    got = run(URLENCODE, x=label("tea & cake", origin(1)))["out"]
    assert got == run_plain(URLENCODE, x="tea & cake")["out"]
    assert [ids(v) for v in got] == [{1}, {1}, {1}, set()]
    assert got[0] == "q=tea+%26+cake&n=2" and ranges_of(got[0])[0][:2] == (2, 14)
    assert ranges_of(got[1])[0][:2] == (6, len(got[1]))


# map() calls its function from C: builtins that rebuild values (int, float, repr, format) and bound
# text methods of a plain template ("- {}".format, ", ".join) are given as label-keeping functions.
MAPS = """
    def f(text, rows):
        numbers = list(map(int, text.split(",")))
        return [sum(numbers), list(map(float, iter(text.split(",")))), "\\n".join(map("- {}".format, text.split(","))),
                list(map(", ".join, rows)), list(map(repr, [text])),
                list(map("{k}={v}".format_map, [{"k": text, "v": 1}])),
                list(map(int, ["1", "2"])), list(map(str.strip, [text])), list(map(len, [text])),
                list(map(lambda a, b: a + b, [text], ["!"]))]
    out = f(text, [[text, "x"]])
    shadow = []
    def map(function, items):
        shadow.append(function)
        return items
    map(int, [text])
"""


def test_map_with_builtins_and_bound_methods_keeps_labels(origin: Make) -> None:
    text = "3, 4"
    got = run(MAPS, text=label(text, origin(1)))
    want = run_plain(MAPS, text=text)
    assert got["out"] == want["out"]
    total, floats, bullets, joined, reprs, mapped, plain_ints, stripped, lengths, added = got["out"]
    assert ids(total) == {1} and all(ids(v) == {1} for v in floats) and ids(bullets) == {1}
    assert ranges_of(bullets)[0][:2] == (2, 3) and ids(joined[0]) == {1} and ids(reprs[0]) == {1}
    assert ids(mapped[0]) == {1} and ids(stripped[0]) == {1} and ids(added[0]) == {1}
    assert [ids(v) for v in plain_ints + lengths] == [set()] * 3
    assert got["shadow"] == [int]  # a user's own `map` is given the function as written


def test_map_of_plain_values_stays_native() -> None:
    code = rewritten_source("def f(xs):\n    return list(map(int, xs)), list(map('{}!'.format, xs))\n")
    assert "@f.map(map, int, xs)" in code
    ns = run("def f(xs):\n    return map(int, xs), map('{}!'.format, xs)\nout = f(['1', '2'])")
    ints, marked = ns["out"]
    assert list(ints) == [1, 2] and list(marked) == ["1!", "2!"]


# bytes.join of labelled pieces (a payload assembled from encoded answers).
def test_bytes_join_keeps_labels(origin: Make) -> None:
    a = label("answer", origin(1))
    source = "def f(a):\n    return b'|'.join([a.encode(), b'x']), b''.join(p.encode() for p in [a, 'y'])\nout = f(a)"
    got = run(source, a=a)["out"]
    assert got == run_plain(source, a="answer")["out"]
    assert ranges_of(got[0])[0][:2] == (0, 6) and ids(got[1]) == {1}


# string.Template: a template written by an LLM keeps its labels through substitution (the template's own
# code runs once, on a copy whose pattern labels what `sub` builds), and so do labelled values.
TEMPLATES = """
    import string
    class Percent(string.Template):
        delimiter = "%"
    def fill(tpl, name):
        out = [string.Template(tpl).substitute(name=name, day="Monday"), string.Template(tpl).safe_substitute({}),
               string.Template("Hi $who!").substitute({"who": name}), Percent("<%x>").substitute(x=name),
               string.Template("$$ $a").substitute(a=1)]
        for bad in ("$missing", "$"):
            try:
                string.Template(tpl + bad).substitute(name=name, day="x")
            except (KeyError, ValueError) as err:
                out.append(repr(err))
        return out
    out = fill(tpl, name)
"""


def test_string_template_keeps_labels_of_template_and_values(origin: Make) -> None:
    tpl, name = "Dear $name, see you ${day}. ", "Ann"
    got = run(TEMPLATES, tpl=label(tpl, origin(1)), name=label(name, origin(2)))["out"]
    assert got == run_plain(TEMPLATES, tpl=tpl, name=name)["out"]
    filled, safe, hi, percent, dollars = got[:5]
    assert filled == "Dear Ann, see you Monday. "
    assert [r[:2] for r in ranges_of(filled)] == [(0, 5), (5, 8), (8, 18), (24, 26)]
    assert [ids(p) for p in (filled[5:8], filled[:5], filled[18:24])] == [{2}, {1}, set()]
    assert ids(safe) == {1} and ids(hi[3:6]) == {2} and ids(hi[:3]) == set() and ids(percent) == {2}
    assert ids(dollars) == set()


def test_model_dump_json_mode_and_to_json_keep_labels(origin: Make) -> None:
    patches.install()
    try:
        source = """
            from openai.types.chat import ChatCompletionMessage
            def dump(x):
                m = ChatCompletionMessage(role="assistant", content=x)
                return [m.model_dump(mode="json")["content"], m.to_dict(mode="json")["content"], m.to_json(indent=None),
                        m.model_dump()["content"], m.model_dump(mode="json")["role"]]
            out = dump(x)
        """
        got = run(source, x=label("the answer", origin(1)))["out"]
        want = run_plain(source, x="the answer")["out"]
    finally:
        patches.uninstall()
    assert got == want
    assert [ids(v) for v in got] == [{1}, {1}, {1}, {1}, set()]
    assert got[2][ranges_of(got[2])[0][0] : ranges_of(got[2])[0][1]] == "the answer"


# A user's own function or method named like a library one (`normalize`, `fill`, `escape`, `loads`) computes
# what it computes: a value it looks up by a labelled key is no edge (it used to be labelled wholesale).
NAMESAKES = """
    import base64
    import html
    import json
    import textwrap
    CANON = {"yes": "APPROVED", "no": "REJECTED"}
    def normalize(answer):
        return CANON.get(answer.strip().lower(), "UNKNOWN")
    def fill(form, value):
        return ["name: " + "Ann", "status: ok"]
    def loads(key):
        return {"limit": 5, "mode": "fast"}
    class Codec:
        def escape(self, text):
            return "&escaped;"
    def f(x):
        return [normalize(x), fill("form", x), loads(x), Codec().escape(x),
                html.escape(x), textwrap.fill(x, 20), json.loads('"' + x + '"'), base64.b64encode(x.encode())]
    out = f(x)
"""


def test_user_functions_named_like_library_ones_are_not_labelled_wholesale(origin: Make) -> None:
    got = run(NAMESAKES, x=label(" Yes", origin(1)))["out"]
    assert got == run_plain(NAMESAKES, x=" Yes")["out"]
    looked_up, form, config, escaped, *library = got
    assert ids(looked_up) == set() and [ids(v) for v in form] == [set(), set()]
    assert [ids(v) for v in config.values()] == [set(), set()] and ids(escaped) == set()
    assert [ids(v) for v in library] == [{1}] * 4
