"""Labelled values: every text-returning operation keeps exact positions; numbers keep origins."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import pytest

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.labels import LInt, LStr, number, origins_of, plain, ranges_of, text
from ao_instrument.dataflow.scopes import Origin
from tests.dataflow.conftest import ids, label


def spans(value: object) -> list[tuple[int, int, set[int]]]:
    return [(s, e, {o.context.span_id for o in os}) for s, e, os in ranges_of(value)]


@pytest.fixture
def a(origin: Callable[[int], Origin]) -> Origin:
    return origin(1)


@pytest.fixture
def b(origin: Callable[[int], Origin]) -> Origin:
    return origin(2)


def test_labelled_text_equals_and_hashes_as_plain(a: Origin) -> None:
    x = label("hello", a)
    assert x == "hello" and hash(x) == hash("hello") and isinstance(x, str)
    assert {x: 1}["hello"] == 1
    assert type(plain(x)) is str and ranges_of(plain(x)) == ()


def test_fresh_objects_never_interned(a: Origin) -> None:
    x = label("a", a)
    assert x is not "a"  # noqa: F632
    assert ranges_of("a") == ()
    assert ids(x[0]) == {1} and ranges_of("xay"[1]) == ()


def test_concatenation_keeps_positions(a: Origin, b: Origin) -> None:
    x, y = label("abc", a), label("de", b)
    assert spans("<" + x + "|" + y + ">") == [(1, 4, {1}), (5, 7, {2})]
    s = "start:"
    s += x
    assert spans(s) == [(6, 9, {1})]
    assert spans(x * 2) == [(0, 6, {1})] and spans(2 * y) == [(0, 4, {2})]


def test_slicing_and_indexing(a: Origin, b: Origin) -> None:
    x = label("abc", a) + "-" + label("def", b)
    assert spans(x[2:5]) == [(0, 1, {1}), (2, 3, {2})]
    assert ids(x[-1]) == {2} and ids(x[3]) == set()
    assert spans(x[::2]) == [(0, 2, {1}), (2, 4, {2})]
    assert ids(x[4:]) == {2} and ids(x[:3]) == {1}
    assert [ids(c) for c in x] == [{1}, {1}, {1}, set(), {2}, {2}, {2}]


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda s: s.strip(), [(0, 3, {1})]),
        (lambda s: s.lstrip(), [(0, 3, {1})]),
        (lambda s: s.rstrip(), [(2, 5, {1})]),
        (lambda s: s.upper(), [(2, 5, {1})]),
        (lambda s: s.center(11), [(4, 7, {1})]),
        (lambda s: s.ljust(9), [(2, 5, {1})]),
        (lambda s: s.rjust(9), [(4, 7, {1})]),
        (lambda s: s.replace(" ", "__"), [(4, 7, {1})]),
        (lambda s: s.removeprefix("  "), [(0, 3, {1})]),
        (lambda s: s.zfill(9), [(4, 7, {1})]),
        (lambda s: s.title(), [(2, 5, {1})]),
        (lambda s: s.expandtabs(), [(2, 5, {1})]),
    ],
)
def test_methods(a: Origin, op: Callable[[str], str], expected: list[tuple[int, int, set[int]]]) -> None:
    x = "  " + label("abc", a) + "  "
    assert spans(op(x)) == expected
    assert op(x) == op(plain(x))


def test_split_partition_lines(a: Origin, b: Origin) -> None:
    x = label("one two", a) + "\n" + label("three", b)
    assert [ids(p) for p in x.split()] == [{1}, {1}, {2}]
    assert [ids(p) for p in x.splitlines()] == [{1}, {2}]
    assert [ids(p) for p in x.split("\n")] == [{1}, {2}]
    assert [ids(p) for p in x.rsplit(" ", 1)] == [{1}, {1, 2}]
    head, sep, tail = x.partition("\n")
    assert (ids(head), ids(sep), ids(tail)) == ({1}, set(), {2})
    assert [ids(p) for p in x.rpartition("o")] == [{1}, {1}, {2}]


def test_join_with_labelled_items_and_separator(a: Origin, b: Origin) -> None:
    assert spans(", ".join([label("x", a), "y", label("z", b)])) == []  # plain separator: not rewritten here
    sep = label("|", b)
    assert spans(sep.join(["a", label("bc", a)])) == [(1, 2, {2}), (2, 4, {1})]


def test_format_and_percent_on_labelled_template(a: Origin, b: Origin) -> None:
    t = label("Q: {} ({n})", a)
    out = t.format(label("why", b), n=3)
    assert out == "Q: why (3)" and spans(out) == [(0, 3, {1}), (3, 6, {2}), (6, 8, {1}), (9, 10, {1})]
    assert spans(label("%s!", a) % "hey") == [(3, 4, {1})]
    assert spans("<%s>" % label("hey", b)) == [(1, 4, {2})]


def test_str_repr_format_encode(a: Origin) -> None:
    x = label("it's", a)
    assert str(x) is x
    assert repr(x) == '"it\'s"' and spans(repr(x)) == [(1, 5, {1})]
    assert spans(format(x, ">6")) == [(2, 6, {1})] and spans(format(x, ".2")) == [(0, 2, {1})]
    assert spans(f"{x}") == [(0, 4, {1})]
    e = x.encode()
    assert e == b"it's" and ids(e) == {1} and ids(e.decode()) == {1}
    assert spans(label("é!", a).encode()) == [(0, 3, {1})]


def test_copy_deepcopy_pickle(a: Origin) -> None:
    x = label("abc", a)
    assert copy.copy(x) is x and copy.deepcopy([x])[0] is x
    back = pickle.loads(pickle.dumps(x))
    assert back == "abc" and type(back) is str


def test_numbers(a: Origin, b: Origin) -> None:
    n = number(41, (a,))
    assert isinstance(n, LInt) and n == 41
    assert ids(n + 1) == {1} and ids(1 + n) == {1} and ids(n * 1.5) == {1} and ids(2.0 * number(2.5, (b,))) == {2}
    assert ids(n + number(1, (b,))) == {1, 2} and ids(-n) == {1} and ids(round(number(2.5, (a,)))) == {1}
    assert ids(divmod(n, 5)[1]) == {1} and ids(n / 2) == {1} and ids(abs(n)) == {1}
    assert type(n > 3) is bool and ids(str(n)) == {1} and ids(f"{n:>5}") == {1}
    assert [1, 2, 3][number(1, (a,))] == 2 and list(range(number(2, (a,)))) == [0, 1]
    assert type(pickle.loads(pickle.dumps(n))) is int
    with pytest.raises(TypeError):
        n + "x"  # noqa: B018


def test_errors_read_as_builtin(a: Origin) -> None:
    with pytest.raises(TypeError, match="can only concatenate str"):
        label("x", a) + 1  # noqa: B018
    assert type(label("x", a)).__name__ == "str"


def test_ranges_merge_and_cap(a: Origin) -> None:
    pieces = [(i, ((0, 1, (a,)),)) for i in range(10)]
    assert rg.join_at(pieces) == ((0, 10, (a,)),)
    many = [(2 * i, ((0, 1, (a,)),)) for i in range(rg.MAX_RANGES + 5)]
    assert len(rg.join_at(many)) == 1


def test_empty_results_are_plain(a: Origin) -> None:
    x = label("abc", a)
    assert type(x[5:]) is str and type(x.strip("abc")) is str


def test_budget(a: Origin) -> None:
    from ao_instrument.dataflow import labels

    labels.BUDGET[0] = 1
    try:
        x = label("abc", a)
        assert isinstance(x, LStr)
        assert type(x + "d") is str and origins_of(x)
        assert type(text("q", ((0, 1, (a,)),))) is str
    finally:
        labels.refill_budget()
    assert labels.BUDGET[0] == labels.LABEL_BUDGET


def test_fail_open_on_internal_errors(a: Origin, monkeypatch: pytest.MonkeyPatch) -> None:
    from ao_instrument.dataflow import labels

    def broken(*args: object) -> None:
        raise RuntimeError("bug")

    x = label("  abc  ", a)
    x._ao = "not ranges"  # type: ignore[attr-defined]  # corrupted: Python's own results, unlabelled
    assert x.strip() == "abc" and type(x.strip()) is str and type(x.rstrip()) is str
    assert x[1:3] == " a" and type(x[1:3]) is str
    monkeypatch.setattr(rg, "clip", broken)
    assert label("xy", a).encode()[0:1] == b"x"
    with pytest.raises(TypeError, match="can only concatenate"):
        x + 1  # noqa: B018
    with pytest.raises(AttributeError):
        labels.LStr.no_such_method  # noqa: B018


def _per_char(value: object) -> list[set[int]]:
    """The span ids of every character (the oracle the range algebra must agree with)."""
    out: list[set[int]] = [set() for _ in range(len(value))]  # type: ignore[arg-type]
    for s, e, os in ranges_of(value):
        for i in range(s, e):
            out[i] = {o.context.span_id for o in os}
    return out


def test_hot_operations_keep_every_character(origin: Callable[[int], Origin]) -> None:
    """Slicing, strip, +, join and f-strings (in C when the extension is built) agree with a per-character oracle."""
    import random

    from ao_instrument.dataflow.handlers import registry

    rnd = random.Random(3)
    pieces = [label(w, origin(i % 3 + 1)) if i % 4 else w for i, w in enumerate([" ab ", "cd", "\n é", "fg  ", "h€", "  ", "𝄞 "])]
    for _ in range(300):
        parts = rnd.sample(pieces, rnd.randint(1, 4))
        x = "".join(map(str.__str__, parts))
        chars = [c for p in parts for c in (_per_char(p) if type(p) is LStr else [set()] * len(p))]
        labelled = registry.methods_1.join("", parts)
        assert labelled == x and hash(labelled) == hash(x) and _per_char(labelled) == chars
        i, j = sorted(rnd.randint(-len(x) - 1, len(x) + 1) for _ in range(2))
        assert _per_char(labelled[i:j]) == chars[i:j]
        if x:
            assert _per_char(labelled[i % len(x)]) == [chars[i % len(x)]]
        for name in ("strip", "lstrip", "rstrip"):
            for args in ((), (" a",)):
                out = getattr(labelled, name)(*args)
                start = len(x) - len(getattr(x, "lstrip")(*args)) if name != "rstrip" else 0
                assert out == getattr(x, name)(*args) and _per_char(out) == chars[start : start + len(out)]
                assert hash(out) == hash(getattr(x, name)(*args))
        other = rnd.choice(pieces)
        other_chars = _per_char(other) if type(other) is LStr else [set()] * len(other)
        assert _per_char(labelled + other) == chars + other_chars
        assert _per_char("<" + labelled) == [set()] + chars
        sep = rnd.choice(["", ", "])
        joined = registry.methods_1.join(sep, (p for p in [labelled, sep, other]))  # the separator object as an item
        assert _per_char(joined) == chars + [set()] * (3 * len(sep)) + other_chars
        f = registry.fs(("<", -1, "|", -1, "|", (114, ">5"), ">"), labelled, 7, 2.5)
        assert f == f"<{x}|7|{2.5!r:>5}>" and _per_char(f) == [set()] + chars + [set()] * 9
        many = registry.fs(("-", -1) * 12, *(labelled,) * 12)  # more parts than C keeps on its stack
        assert many == f"-{x}" * 12 and _per_char(many) == ([set()] + chars) * 12
