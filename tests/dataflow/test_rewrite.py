"""The rewriter: rewritten code computes exactly what the original computes, and carries labels."""

from __future__ import annotations

import ast
import asyncio
import math
import textwrap
from collections.abc import Callable

import pytest

from ao_instrument.dataflow.import_hook import compile_user_source, rewritten_source
from ao_instrument.dataflow.labels import LStr, ranges_of
from ao_instrument.dataflow.scopes import Origin
from tests.dataflow.conftest import ids, label, run, run_plain

SAME = {
    "fstrings": """
        import math
        w, p, x, name = 8, 3, math.pi, "bob"
        class Obj:
            def __format__(self, spec): return "<" + spec + ">"
        out = [f"{x:.{p}f}", f"{name!r:>{w}}", f"{x=}", f"{name=!s:^9}", f"{Obj():abc}", f"{'a' 'b'}{{}}",
               f"{[1, 2]}", f"{None}", f"{b'x'}", f"{3+4j}", f"{ {'k': 1} }", f"{name!a}", f"{ {1} }"]
    """,
    "percent": """
        n, s, d = 17, "str", {"a": 1, "b": "two"}
        out = [n % 5, -n % 5, 7.5 % 2, "%s-%d" % (s, n), "%(a)s/%(b)s" % d, "%5.2f|%-4s|%%" % (1.234, "x"),
               "%s" % (s,), "%s" % [1], "%*d" % (5, 3), "%c" % 65, "%r" % s, b"%s" % (b"x",), s % () if "%" in s else 0]
    """,
    "calls": """
        import json, re, base64, textwrap
        str = str
        def f(*a, **k): return a, k
        out = [str(5), str(), str(b"ab", "ascii"), repr([1, "a"]), int("12"), int("ff", 16), int(x=1) if False else 0,
               float("1.5"), format(3.14159, ".2f"), ascii("é"), type(3), type("T", (), {}).__name__,
               ", ".join(["a", "b"]), "".join(c for c in "abc" if c != "b"), "{0}-{x}".format(1, x=2),
               "{a}".format_map({"a": 1}), "a-b".replace("-", "+"), json.loads('{"a": [1, 2.5, "x"]}'),
               json.dumps({"a": "b"}, sort_keys=True), re.search(r"(\\d+)", "ab12").group(1),
               re.findall(r"\\d", "a1b2"), re.sub(r"\\d", "#", "a1b2"), re.sub(r"(\\d)", lambda m: m.group(1) * 2, "a1"),
               base64.b64encode(b"hi"), textwrap.dedent("  a\\n  b"), f(*[1, 2], **{"k": 3}), bytes(3), bytes("é", "utf-8")]
    """,
    "scopes": """
        import enum
        class Color(enum.Enum):
            RED = f"{'r'}"
            BLUE = "%s" % "b"
        class K:
            tag = f"k{1}"
            items = [f"{i}" for i in range(3)]
            mapping = {f"{k}": v for k, v in zip("ab", [1, 2])}
            def method(self, v=f"{2}"):
                return [f"<{x}>" for x in [f"{y}" for y in (v, "z")] if f"{x}"]
        gen = (f"{i}{j}" for i in range(2) for j in [f"{k}" for k in range(2)])
        lam = lambda q=f"{0}": f"[{q}]"
        def outer():
            z = 1
            def inner():
                nonlocal z
                z += 1
                return f"{z}", "%d" % z
            return inner()
        async def co(x):
            return f"{await asyncio.sleep(0, x)}!"
        import asyncio
        out = [[c.value for c in Color], K.tag, K.items, K.mapping, K().method(), list(gen), lam(), lam("w"), outer(),
               asyncio.run(co("a")), [f"{n}" for n in range(2) if (m := n) >= 0], m]
    """,
    "match_and_walrus": """
        def classify(v):
            match v:
                case {"k": str() as s} if f"{s}" == "x":
                    return f"dict {s}"
                case [a, *rest]:
                    return "seq %s %d" % (a, len(rest))
                case _:
                    return f"{(y := v)!r}{y}"
        out = [classify({"k": "x"}), classify([1, 2, 3]), classify(4)]
    """,
    "generators_and_yield": """
        def g():
            x = yield f"a{1}"
            yield f"got {x}"
        it = g()
        out = [next(it), it.send("s")]
    """,
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_rewritten_code_computes_the_same(name: str) -> None:
    assert run(SAME[name])["out"] == run_plain(SAME[name])["out"]


FSTRINGS_IN_A_FUNCTION = textwrap.dedent(
    """
    import math
    class Obj:
        def __format__(self, spec): return "<" + spec + ">"
    def f(x, name, w, p, items, labelled):
        return [f"{x:.{p}f}", f"{name!r:>{w}}", f"{x=}", f"{name=!s:^9}", f"{Obj():abc}", f"{items}|{labelled}",
                f"{labelled:>{w}}", f"{labelled!r}", f"{labelled}{name}{x:.2f}", f"[{f'{labelled}'}]",
                "".join(f"{i}: {labelled}" for i in range(2)), f"{None}{True}{3+4j}{b'x'}"]
    def bad(x):
        return f"{x:bad}"
    """
)


@pytest.mark.parametrize("compiled", [False, True])
def test_fstring_forms_agree(origin: Callable[[int], Origin], compiled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both rewritten forms of an f-string (one `fs` call; inline guards without the C helper) compute what
    Python computes, keep labels, and raise the user's own errors from the user's line."""
    from ao_instrument.dataflow.handlers import registry

    if compiled and not registry.COMPILED:
        pytest.skip("the C helper is not built")
    monkeypatch.setattr(registry, "COMPILED", compiled)
    text = rewritten_source(FSTRINGS_IN_A_FUNCTION)
    assert ("@ao1" in text) is not compiled
    plain_ns = run_plain(FSTRINGS_IN_A_FUNCTION)
    ns = run(FSTRINGS_IN_A_FUNCTION)
    a = label("Paris", origin(1))
    args = (math.pi, "bob", 8, 3, [1, "x"])
    got = ns["f"](*args, a)
    assert got == plain_ns["f"](*args, "Paris")
    assert [ids(v) for v in got[5:11]] == [{1}] * 6 and ids(got[0]) == set()
    assert ranges_of(got[8])[0][:2] == (0, 5)
    with pytest.raises(ValueError) as info:
        ns["bad"](3)
    assert info.traceback[-1].frame.code.name == "bad"


def test_rewritten_source_uses_names_source_cannot() -> None:
    text = rewritten_source("def f(x):\n    return f'{x}!'\n")
    assert "@ao" in text and "@type" in text
    tree = ast.parse("x = 1\n")
    assert compile(tree, "<t>", "exec")


def test_nothing_to_rewrite_leaves_module_alone() -> None:
    assert rewritten_source("x = 1 + 2\n") == "x = 1 + 2\n"


def test_module_docstring_and_future_import_stay_first() -> None:
    ns = run('"""Doc."""\nfrom __future__ import annotations\nX = f"{1}"\ndef f(a: int) -> str: return f"{a}"\n')
    assert ns["__doc__"] == "Doc." and ns["X"] == "1" and ns["f"].__annotations__ == {"a": "int", "return": "str"}


def test_class_bodies_get_no_temporaries() -> None:
    ns = run("class K:\n    a = f'{1}'\n    b = '%s' % 2\n    c = str(3)\n")
    assert [k for k in vars(ns["K"]) if k.startswith("@")] == []
    assert [k for k in ns if k.startswith("@ao") and k != "@ao"] == []


def test_syntax_errors_are_the_users() -> None:
    with pytest.raises(SyntaxError):
        compile_user_source("def f(:\n", "<bad>")


def test_fallback_to_original_code_when_rewriting_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from ao_instrument.dataflow import rewrite

    def broken(source: object, filename: str) -> None:
        raise RuntimeError("rewriter bug")

    monkeypatch.setattr(rewrite, "rewrite_source", broken)
    ns: dict[str, object] = {}
    exec(compile_user_source("X = f'{1}'\n", "<t>"), ns)
    assert ns["X"] == "1"


def test_tracebacks_point_at_the_original_line() -> None:
    ns = run("def f(x):\n    y = 1\n    return f'{x:bad}'\n")
    with pytest.raises(ValueError) as info:
        ns["f"](3)
    assert info.traceback[-1].lineno == 2  # 0-based: line 3


def test_functions_reading_their_locals_get_no_temporaries() -> None:
    ns = run("def f(name):\n    greeting = f'hi {name}'\n    return sorted(locals())\n")
    assert ns["f"]("x") == ["greeting", "name"]


def test_user_names_shadowing_builtins() -> None:
    ns = run("def str(x): return 'mine'\ndef type(x): return 'mytype'\nout = [str(1), type(2)]\n")
    assert ns["out"] == ["mine", "mytype"]


def test_propagation_through_user_code(origin: Callable[[int], Origin]) -> None:
    a, b = label("Paris", origin(1)), label(" 42 ", origin(2))
    ns = run(
        """
        import json, re, base64, dataclasses, string
        @dataclasses.dataclass
        class Item:
            name: str
        def build(a, b):
            n = int(b)
            out = {
                "fstring": f"City: {a!r:>10} | {n * 2}",
                "percent": "%s has %d" % (a, n),
                "format": "{} / {n}".format(a, n=n),
                "join": ", ".join([a, "x"]),
                "joingen": "".join(w.upper() for w in [a, "!"]),
                "str_list": str([a, 1]),
                "repr": repr({"k": a}),
                "json": json.loads(json.dumps({"city": a, "n": n}))["city"],
                "regex": re.search(r"(\\w+)", a).group(1),
                "findall": re.findall(r"\\w", a)[0],
                "sub": re.sub(r"a", "A", a),
                "b64": base64.b64decode(base64.b64encode(a.encode())).decode(),
                "asdict": dataclasses.asdict(Item(a))["name"],
                "template": string.Template("at $x").substitute(x=a),
                "float": float(b) / 2,
                "exception": str(ValueError(a)),
                "fexc": f"{KeyError(a)}",
                "dataclass_repr": f"{Item(a)}",
                "max": max([a, "A"], key=len),
                "type": type(a),
            }
            return out
        """
    )["build"](a, b)
    for key, value in ns.items():
        if key == "type":
            assert value is str
            continue
        assert ids(value) & {1, 2}, key
    assert ids(ns["fstring"]) == {1, 2} and ids(ns["percent"]) == {1, 2}
    assert ranges_of(ns["fstring"])[0][:2] == (10, 15)


def test_no_false_edges(origin: Callable[[int], Origin]) -> None:
    out = label("yes", origin(1))
    ns = run(
        """
        def decide(out):
            n = int(label_num)
            plain = "yes"
            verdict = "approved" if out == "yes" else "rejected"
            k = len(out)
            if out.strip() == "yes":
                msg = f"The answer was {plain}"
            return n, 42, plain, verdict, msg, plain is not out, k
        """,
        label_num=label("42", origin(2)),
    )["decide"](out)
    n, forty_two, plain, verdict, msg, same, k = ns
    assert ids(n) == {2} and ids(forty_two) == set() and n == forty_two
    assert ids(plain) == set() and ids(verdict) == set() and ids(msg) == set() and same and ids(k) == set()


def test_asyncio_threads_and_closures(origin: Callable[[int], Origin]) -> None:
    a = label("alpha", origin(1))
    ns = run(
        """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor
        def make():
            prefix = "p:"
            def add(x): return f"{prefix}{x}"
            return add
        async def task(x): return f"[{x}]"
        async def main(x): return await asyncio.gather(task(x), asyncio.create_task(task(x + "!")))
        def go(x):
            with ThreadPoolExecutor(2) as pool:
                threaded = pool.submit(make(), x).result()
            return threaded, asyncio.run(main(x))
        """
    )
    threaded, gathered = ns["go"](a)
    assert ids(threaded) == {1} and [ids(g) for g in gathered] == [{1}, {1}]


def test_pydantic_models(origin: Callable[[int], Origin]) -> None:
    from ao_instrument.dataflow import patches

    patches.install()
    try:
        ns = run(
            """
            import pydantic
            class Answer(pydantic.BaseModel):
                city: str
                score: int = 0
            def go(raw, city):
                m = Answer.model_validate_json(raw)
                built = Answer(city=city.strip(), score=3)
                return m.city, m.score, m.model_dump()["city"], built.city, m.model_dump_json(), Answer.model_validate({"city": city}).city
            """
        )
        raw = label('{"city": "Rome", "score": 5}', origin(1))
        got = ns["go"](raw, label(" Oslo ", origin(2)))
    finally:
        patches.uninstall()
    assert [ids(g) for g in got] == [{1}, {1}, {1}, {2}, {1}, {2}]


def test_labels_on_loops_and_accumulation(origin: Callable[[int], Origin]) -> None:
    deltas = [label(d, origin(1)) for d in ("Hel", "lo", " world")]
    ns = run(
        """
        def acc(deltas):
            full = ""
            parts = []
            for d in deltas:
                full += d
                parts.append(d)
            return full, "".join(parts)
        """
    )
    full, joined = ns["acc"](deltas)
    assert isinstance(full, LStr) and ranges_of(full) == ranges_of(joined) and len(ranges_of(full)) == 1


def test_coroutines_keep_labels(origin: Callable[[int], Origin]) -> None:
    ns = run("async def f(x):\n    return f'<{x}>'\n")
    assert ids(asyncio.run(ns["f"](label("a", origin(3))))) == {3}


@pytest.mark.parametrize("speedups", [False, True])
def test_join_fast_paths_agree(origin: Callable[[int], Origin], speedups: bool) -> None:
    from ao_instrument.dataflow.handlers import str_methods

    if speedups:
        native = pytest.importorskip("ao_instrument.dataflow._speedups")
        join = native.join1
    else:
        join = str_methods.join_items
    a = label("x", origin(1))
    assert join(", ", ["a", "b"]) == "a, b" and ids(join(", ", ("a", a))) == {1}
    assert ids(join("", (c for c in [a, "y"]))) == {1} and join(b"-", [b"a", b"b"]) == b"a-b"
    assert ids(join(label("+", origin(2)), ["p", "q"])) == {2}
    with pytest.raises(TypeError, match="sequence item 1: expected str instance, int found"):
        join(",", ["a", 1])
