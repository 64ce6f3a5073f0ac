"""The `str` fast paths of issue 14 (C methods of `LStr` when the helper is built) agree with Python.

Every result must equal what plain `str` gives, and carry the same ranges as the pure-Python
reference (`label_types._Text`'s methods and `formatting`, which the C methods replace on `LStr`), checked
character by character on texts with several origins, unlabelled stretches and non-ASCII characters.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from ao_instrument.dataflow import formatting, label_types, labels
from ao_instrument.dataflow.handlers import registry
from ao_instrument.dataflow.labels import LStr, plain, ranges_of
from ao_instrument.dataflow.scopes import Origin
from tests.dataflow.conftest import label, run

WORDS = ["The board", " met.", "  Revenue\tgrew ", "é 12%", "\n", "ab.cd", "𝄞 x", "  ", "…end. ", "\r\nz"]


def per_char(value: Any) -> list[set[int]]:
    """The span ids labelling each character (or byte) of `value`."""
    out: list[set[int]] = [set() for _ in range(len(value))]
    for s, e, os in ranges_of(value):
        for i in range(s, e):
            out[i] = {o.context.span_id for o in os}
    return out


def same(result: Any, reference: Any, expected_plain: Any) -> None:
    """`result` equals plain Python's result and carries the reference's labels, item by item."""
    assert result == expected_plain
    if isinstance(expected_plain, (list, tuple)):
        assert type(result) is type(expected_plain) and len(result) == len(reference)
        for r, ref in zip(result, reference):
            same(r, ref, plain(ref))
        return
    assert type(plain(result)) is type(expected_plain)
    assert per_char(result) == per_char(reference), (result, ranges_of(result), ranges_of(reference))
    if isinstance(result, str):
        assert hash(result) == hash(expected_plain)


@pytest.fixture
def texts(origin: Callable[[int], Origin]) -> list[Any]:
    """Labelled texts of one origin, several, and partly unlabelled, ASCII and not."""
    rnd = random.Random(14)
    out: list[Any] = [label("The board met. Revenue grew 12 percent.  Costs stayed flat.", origin(1))]
    for _ in range(60):
        parts = rnd.sample(WORDS, rnd.randint(1, 5))
        pieces = [label(w, origin(rnd.randint(1, 3))) if rnd.random() < 0.7 else w for w in parts]
        joined = registry.methods_1.join("", pieces)
        if type(joined) is LStr:
            out.append(joined)
    return out


CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("upper", ()), ("lower", ()), ("casefold", ()), ("swapcase", ()), ("title", ()), ("capitalize", ()),
    ("expandtabs", ()), ("expandtabs", (3,)), ("translate", (str.maketrans({"a": "4", ".": None, "e": "ee"}),)),
    ("ljust", (70,)), ("ljust", (5,)), ("rjust", (71, "*")), ("center", (70,)), ("center", (71, "-")),
    ("center", (-3,)), ("ljust", (72, "€")), ("rjust", (73, "𝄞")), ("zfill", (75,)), ("removeprefix", ("The",)), ("removeprefix", ("",)),
    ("removesuffix", (".",)), ("removesuffix", ("x",)), ("split", ()), ("split", (None, 1)), ("split", (".",)),
    ("split", (". ", 1)), ("split", ("e", 0)), ("split", ("e", -1)), ("rsplit", ()), ("rsplit", (None, 2)),
    ("rsplit", (" ", 2)), ("rsplit", ("zz",)), ("splitlines", ()), ("splitlines", (True,)),
    ("partition", (". ",)), ("partition", ("zz",)), ("rpartition", (" ",)), ("rpartition", ("zz",)),
    ("replace", ("e", "E")), ("replace", (" ", "")), ("replace", ("e", "--", 2)), ("replace", ("e", "x", 0)),
    ("replace", ("zz", "y")), ("replace", ("e", "€")), ("replace", ("The", "")), ("strip", (".T",)), ("lstrip", ("Th ",)), ("rstrip", (".\n ",)), ("strip", ("",)),
]  # fmt: skip


def reference(name: str) -> Callable[..., Any]:
    """The pure-Python method (what the C one replaces on LStr)."""
    if name == "casefold":  # defined on LStr alone (bytes has none)
        return lambda self: self._same(str.casefold(self))
    return vars(label_types._Text)[name]


@pytest.mark.parametrize(("name", "args"), CALLS, ids=[f"{n}{a!r}" for n, a in CALLS])
def test_methods_agree_with_the_python_reference(texts: list[Any], name: str, args: tuple[Any, ...]) -> None:
    ref = reference(name)
    for x in texts:
        expected = getattr(plain(x), name)(*args)
        same(getattr(x, name)(*args), ref(x, *args), expected)


def test_labelled_arguments(origin: Callable[[int], Origin]) -> None:
    """A labelled `new` of replace, a labelled separator or prefix: the text's own labels still right."""
    x = label("a-b-c", origin(1))
    new = label("++", origin(2))
    same(registry.methods.replace(x, "-", new), vars(label_types._Text)["replace"](x, "-", new), "a++b++c")
    assert per_char(registry.methods.replace(x, "-", new)) == [{1}, {2}, {2}, {1}, {2}, {2}, {1}]
    assert per_char(registry.methods.replace("a-b-c", "-", new)) == [set(), {2}, {2}, set(), {2}, {2}, set()]
    assert per_char(registry.methods.replace("a-b-c", "-", new, 1)) == [set(), {2}, {2}, set(), set(), set()]
    assert registry.methods_2.replace("a-b", "-", "+") == "a+b" and type(registry.methods_2.replace("a-b", "-", "+")) is str
    parts = x.split(label("-", origin(3)))
    assert parts == ["a", "b", "c"] and all(per_char(p) == [{1}] for p in parts)
    assert per_char(x.removeprefix(label("a-", origin(3)))) == [{1}] * 3


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.split(""), lambda x: x.rsplit(""), lambda x: x.partition(""), lambda x: x.split(1),
        lambda x: x.replace("", "x", "2"), lambda x: x.replace(1, "x"), lambda x: x.center("x"),
        lambda x: x.center(9, "ab"), lambda x: x.zfill(None), lambda x: x.removeprefix(1), lambda x: x.split(maxsplit="1"),
        lambda x: x * "3", lambda x: x * (1 << 80), lambda x: x % (), lambda x: x.format(), lambda x: "%d" % x,
        lambda x: x.upper(1), lambda x: x.translate(), lambda x: x.expandtabs("8"), lambda x: x.splitlines(1, 2),
        lambda x: x + 1, lambda x: 1 + x, lambda x: [1] * x, lambda x: x * [1], lambda x: 2.5 * x, lambda x: x.strip(1), lambda x: x.lstrip("a", "b"), lambda x: x[1.5], lambda x: x[99], lambda x: x[::0], lambda x: x + b"",
    ],
)  # fmt: skip
def test_errors_are_pythons(origin: Callable[[int], Origin], call: Callable[[Any], Any]) -> None:
    x = label("a {} %s b", origin(1))
    with pytest.raises(Exception) as plain_error:
        call(plain(x))
    with pytest.raises(type(plain_error.value)) as labelled_error:
        call(x)
    assert str(labelled_error.value) == str(plain_error.value)


def test_keywords_and_subclass_arguments(origin: Callable[[int], Origin]) -> None:
    x = label("a b  c d", origin(1))
    assert x.split(sep=" ", maxsplit=1) == ["a", "b  c d"] and per_char(x.split(maxsplit=1)[1]) == [{1}] * 6
    assert x.splitlines(keepends=True) == ["a b  c d"]
    assert x.expandtabs(tabsize=2) == "a b  c d"
    assert x.format(**{}) == "a b  c d"


def test_repetition_iteration_str_format(texts: list[Any]) -> None:
    mul = vars(label_types._Text)["__mul__"]
    for x in texts:
        p = plain(x)
        for times in (0, 1, 3, -2):
            same(x * times, mul(x, times), p * times)
            same(times * x, mul(x, times), times * p)
        chars = list(x)
        assert chars == list(p) and [per_char(c) for c in chars] == [[c] for c in per_char(x)]
        assert [per_char(c) for c in iter(x)] == [[c] for c in per_char(x)]
        assert str(x) is x and format(x, "") is x and f"{x}" == p
        assert format(x, ">80") == format(p, ">80")


def test_many_ranges_repeat_coarsely(origin: Callable[[int], Origin]) -> None:
    x = registry.methods_1.join("", [label("ab", origin(1)), "c", label("d", origin(2))])
    big = x * 400  # 3 ranges x 400 > ranges.MAX_RANGES
    assert big == plain(x) * 400 and [(s, e, len(o)) for s, e, o in ranges_of(big)] == [(0, 1600, 2)]


PERCENT = [
    ("Answer: %s", "X"), ("%s and %s", ("X", "y")), ("%d%% of %s", (12, "X")), ("%i-%s", (3, 2.5)), ("%s", ()),
    ("%s %s", ("X",)), ("%r", ("X",)), ("%5s|", ("X",)), ("%(k)s", {"k": "X"}), ("100%", ()), ("%s", (["X"],)),
]  # fmt: skip


@pytest.mark.parametrize(("template", "args"), PERCENT)
def test_percent(origin: Callable[[int], Origin], template: str, args: Any) -> None:
    """`%` of a plain or labelled template with labelled values: as formatting.percent, or Python's error."""
    answer = label("the answer", origin(1))
    swap = lambda v: answer if v == "X" else v  # noqa: E731
    values = tuple(map(swap, args)) if type(args) is tuple else {"k": answer} if type(args) is dict else swap(args)
    plain_values = tuple(map(plain, values)) if type(values) is tuple else {"k": "the answer"} if type(values) is dict else plain(values)
    for tpl in (template, label(template, origin(2))):
        try:
            expected = plain(tpl) % plain_values
        except Exception as error:
            with pytest.raises(type(error)):
                registry.mod(tpl, values)
            continue
        same(registry.mod(tpl, values), formatting.percent(tpl, values), expected)
        if type(tpl) is LStr:
            same(tpl % values, formatting.percent(tpl, values), expected)


FORMATS = [
    ("{} said {}", ("X", 3), {}), ("{0}{1}{0}", ("X", 2.5), {}), ("{a}-{b}", (), {"a": "X", "b": 7}),
    ("{{{}}}", ("X",), {}), ("{a!r}", (), {"a": "X"}), ("{:>5}", ("X",), {}), ("{0.real}", (3,), {}),
    ("{}{1}", ("X", "y"), {}), ("{", ("X",), {}), ("}", (), {}), ("{b}", (), {"a": "X"}), ("{}", (["X"],), {}),
    ("{2}", ("X",), {}), ("plain", (), {}),
]  # fmt: skip


@pytest.mark.parametrize(("template", "args", "kwargs"), FORMATS)
def test_format_and_format_map(origin: Callable[[int], Origin], template: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    answer = label("the answer", origin(1))
    swap = lambda v: answer if v == "X" else v  # noqa: E731
    values, named = tuple(map(swap, args)), {k: swap(v) for k, v in kwargs.items()}
    plain_values, plain_named = tuple(map(plain, values)), {k: plain(v) for k, v in named.items()}
    for tpl in (template, label(template, origin(2))):
        for run, reference, expect in (
            (lambda: registry.methods.format(tpl, *values, **named), lambda: formatting.str_format(tpl, values, named),
             lambda: plain(tpl).format(*plain_values, **plain_named)),
            (lambda: registry.methods.format_map(tpl, named), lambda: formatting.str_format(tpl, (), named, use_map=True),
             lambda: plain(tpl).format_map(plain_named)),
        ):  # fmt: skip
            try:
                expected = expect()
            except Exception as error:
                with pytest.raises(type(error)):
                    run()
                continue
            same(run(), reference(), expected)
        if type(tpl) is LStr and not args:
            try:
                expected = plain(tpl).format_map(plain_named)
            except Exception:
                continue
            same(tpl.format_map(named), formatting.str_format(tpl, (), named, use_map=True), expected)
            same(tpl.format(**named), formatting.str_format(tpl, (), named), expected)


def test_rewritten_split_of_labelled_text(origin: Callable[[int], Origin]) -> None:
    """`x.split(...)` of rewritten code in a comprehension (no inline guard) keeps positions."""
    ns = run(
        """
        def pieces(rows):
            return [[p.strip() for p in r.split(",")] for r in rows]
        """
    )
    out = ns["pieces"]([label("a, bb ,c", origin(1)), "x,y"])
    assert out == [["a", "bb", "c"], ["x", "y"]] and per_char(out[0][1]) == [{1}, {1}]


def test_budget_spent_gives_plain_values(origin: Callable[[int], Origin]) -> None:
    x = label("a b. c", origin(1))
    left = labels.BUDGET[0]
    try:
        labels.BUDGET[0] = 0
        for out in (x.upper(), x.ljust(9), x.split()[0], x.replace("a", "z"), x * 2, list(x)[0], registry.mod("<%s>", (x,))):
            assert type(out) is str
    finally:
        labels.BUDGET[0] = left


def test_slices_joins_repr_and_format_specs(texts: list[Any], origin: Callable[[int], Origin]) -> None:
    getitem, join, fmt = vars(label_types._Text)["__getitem__"], labels.join, vars(labels.LStr)["__format__"]
    sep = label(" | ", origin(4))
    for x in texts:
        p = plain(x)
        for key in (slice(None, None, 2), slice(None, None, -1), slice(-3, 1, -2), slice(1, None, 3), slice(None)):
            same(x[key], getitem(x, key), p[key])
        for items in ([x, "plain", x], (x,), [], ["a", "b"]):
            expected = " | ".join(map(plain, items))
            same(sep.join(items), join(sep, list(items)), expected)
            same(registry.methods_1.join(sep, iter(items)), join(sep, list(items)), expected)
        for spec in (">80", "^81", "*<90", ".5", "<3", "s", "75s", "T>70", "05", "€^77"):
            same(format(x, spec), fmt(x, spec), format(p, spec))
            same(registry.functions.format(format, x, spec), fmt(x, spec), format(p, spec))
        same(repr(x), vars(label_types._Text)["__repr__"](x), repr(p))
        f = registry.fs(("<", (114,), "|", (-1, ">70"), "|", (115, "")), x, ">5", x, x)
        assert f == f"<{p!r:>5}|{p:>70}|{p!s}"
        assert per_char(f) == [set()] + per_char(repr(x)) + [set()] + per_char(format(x, ">70")) + [set()] + per_char(x)


def test_rewritten_str_and_replace_without_match(origin: Callable[[int], Origin]) -> None:
    ns = run(
        """
        def show(x):
            return str(x), x.replace("zz", "y"), x[:100]
        """
    )
    x = label("an answer", origin(1))
    shown, replaced, whole = ns["show"](x)
    assert shown == replaced == whole == "an answer" and all(per_char(v) == [{1}] * 9 for v in (shown, replaced, whole))


def test_zfill_signs_and_encode(texts: list[Any], origin: Callable[[int], Origin]) -> None:
    zfill = vars(label_types._Text)["zfill"]
    for raw in ("-42", "+7", "42", "-", "ab-"):
        x = label(raw, origin(1))
        for width in (0, 3, 6):
            same(x.zfill(width), zfill(x, width), raw.zfill(width))
    for x in texts:
        p = plain(x)
        for args in ((), ("utf-8",), ("utf8",), ("utf-16",), ("ascii", "replace")):
            out = x.encode(*args)
            assert out == p.encode(*args) and type(plain(out)) is bytes
            if p.isascii() and args[:1] in ((), ("utf-8",), ("utf8",)):
                assert per_char(out) == per_char(x)
        assert x.encode(encoding="utf-8") == p.encode()
