"""Characters of labelled text (iteration, `list`, indexing) and `encode()` keep their origins.

The C helper gives the characters of a one-origin text as shared objects once it has been iterated,
and keeps the ranges of labelled bytes outside their instance dict; every check here holds with and
without it (`test_labels_pure_python.py` runs this file again with the helper unavailable).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from ao_instrument.dataflow import label_types, labels
from ao_instrument.dataflow.handlers import registry
from ao_instrument.dataflow.labels import LBytes, LStr, plain, ranges_of, text
from ao_instrument.dataflow.scopes import Origin
from tests.dataflow.conftest import label, run
from tests.dataflow.test_labels_fast_paths import per_char
from tests.dataflow.test_labels_pure_python import ROOT

ASCII = "The board met. Revenue grew 12 percent."
WIDE = "Café — naïve 𝄞 résumé"


def expected_chars(value: Any) -> list[tuple[str, set[int]]]:
    """Each character of `value` with the span ids labelling it."""
    return list(zip(plain(value), per_char(value)))


def check_chars(chars: list[Any], value: Any) -> None:
    """`chars` are the characters of `value`, each labelled (or not) as its position in `value` is."""
    assert [(plain(c), per_char(c)[0]) for c in chars] == expected_chars(value)
    for c, (_, ids) in zip(chars, expected_chars(value)):
        assert type(c) is (LStr if ids else str)
        if ids:
            assert len(ranges_of(c)) == 1 and ranges_of(c)[0][:2] == (0, 1)


@pytest.fixture
def mixed(origin: Callable[[int], Origin]) -> list[Any]:
    """Texts of one origin, of two calls' outputs concatenated, partly unlabelled, sliced; ASCII and not."""
    a, b, w = label(ASCII, origin(1)), label(" and more", origin(2)), label(WIDE, origin(3))
    return [
        a, w, a + b, b + w, "Q: " + a, a + " (end)", (a + b)[30:45], (w + a)[3:30],
        registry.methods_1.join("", [a, " | ", w, b]), label("x", origin(4)),
    ]  # fmt: skip


def test_iteration_list_and_indexing(mixed: list[Any]) -> None:
    for x in mixed:
        for _ in range(2):  # the first pass and the next ones (the C helper keeps the characters of a text)
            check_chars(list(x), x)
            check_chars([c for c in x], x)
            check_chars([x[i] for i in range(len(x))], x)
            check_chars([x[i] for i in range(-len(x), 0)], x)
        ranges_of(x)  # reading `_ao` from Python turns compact ranges into tuples: the same again
        check_chars(list(iter(x)), x)


def test_ranges_read_while_iterating(mixed: list[Any], origin: Callable[[int], Origin]) -> None:
    for x in [*mixed, label(ASCII, origin(1)) + label(WIDE, origin(2))]:  # (a new text: compact ranges)
        it = iter(x)
        first = list(itertools.islice(it, 3))
        ranges_of(x)
        check_chars(first + list(it), x)


def test_rewritten_comprehensions_and_reversed(mixed: list[Any]) -> None:
    ns = run(
        """
        def chars(s):
            return [c for c in s], "".join(reversed(s)), "".join(c.upper() for c in s), [c for c in s if c != " "]
        """
    )
    for x in mixed:
        every, backwards, upper, kept = ns["chars"](x)
        check_chars(every, x)
        assert backwards == plain(x)[::-1] and per_char(backwards) == per_char(x)[::-1]
        assert upper == plain(x).upper() and (len(upper) != len(x) or per_char(upper) == per_char(x))
        assert [(plain(c), per_char(c)) for c in kept] == [(c, [ids]) for c, ids in expected_chars(x) if c != " "]


def test_same_characters_of_other_origins_stay_apart(origin: Callable[[int], Origin]) -> None:
    x, y = label("abcabc", origin(1)), label("abcabc", origin(2))
    first, second = list(x), list(y)
    assert [per_char(c) for c in first] == [[{1}]] * 6 and [per_char(c) for c in second] == [[{2}]] * 6
    assert [per_char(c) for c in y] == [[{2}]] * 6 and per_char(x[3]) == [{1}]
    del x, y
    assert [per_char(c) for c in first + second] == [[{1}]] * 6 + [[{2}]] * 6  # the characters outlive their text


def test_texts_keeping_their_characters_are_bounded(origin: Callable[[int], Origin]) -> None:
    texts = [label("ab ab", origin(i % 3 + 1)) for i in range(1500)]  # more than the C helper keeps (1024)
    assert all([per_char(c) for c in list(x)] == [[{i % 3 + 1}]] * 5 for i, x in enumerate(texts))
    assert all([per_char(c) for c in x] == [[{i % 3 + 1}]] * 5 for i, x in enumerate(texts))
    del texts
    y = label("ab ab", origin(1))
    kept = list(y)[0] is y[0]  # the same object again once `y` keeps its characters
    assert kept == (label_types._speedups is not None)  # (freed texts gave their place back)


def test_budget_spent_gives_plain_characters(origin: Callable[[int], Origin]) -> None:
    x = label("ab ab", origin(1))
    list(x)  # the characters made (and kept by the C helper)
    left = labels.BUDGET[0]
    try:
        labels.BUDGET[0] = 0
        assert all(type(c) is str for c in [*x, *list(x), x[0]])
        assert type(x.encode()) is bytes
    finally:
        labels.BUDGET[0] = left


def piecewise(x: Any, encoding: str, errors: str) -> Any:
    """The ranges the Python reference gives `x.encode(encoding, errors)`."""
    result = str.encode(x, encoding, errors)
    return label_types._piecewise(x, result, lambda seg: len(str.encode(seg, encoding, errors)), 0, 0)


ENCODINGS = [
    ("utf-8", "strict"), ("utf8", "strict"), ("UTF-8", "strict"), ("utf-8", "surrogatepass"), ("ascii", "replace"),
    ("ascii", "ignore"), ("ascii", "xmlcharrefreplace"), ("latin-1", "backslashreplace"), ("utf-16", "strict"),
    ("utf-32-le", "strict"), ("cp1252", "replace"),
]  # fmt: skip


@pytest.mark.parametrize(("encoding", "errors"), ENCODINGS)
def test_encode_maps_ranges_to_byte_offsets(mixed: list[Any], encoding: str, errors: str) -> None:
    for x in mixed:
        p = plain(x)
        for out in (x.encode(encoding, errors), x.encode(encoding=encoding, errors=errors), x.encode(encoding, errors=errors)):
            assert out == p.encode(encoding, errors) and type(out) is LBytes
            assert ranges_of(out) == piecewise(x, encoding, errors)
            assert hash(out) == hash(p.encode(encoding, errors)) and {p.encode(encoding, errors): 1}[out] == 1


def test_encode_defaults_and_utf8_offsets(mixed: list[Any]) -> None:
    for x in mixed:
        for out in (x.encode(), x.encode("utf-8"), x.encode(errors="strict")):
            assert out == plain(x).encode() and type(out) is LBytes
            byte_ids = [ids for ch, ids in expected_chars(x) for _ in ch.encode()]  # every byte of a character
            assert per_char(out) == byte_ids and ranges_of(out) is ranges_of(out)  # (read in tuple form, once)
            back = out.decode()
            assert back == x and per_char(back) == per_char(x)


def test_encode_of_text_without_ranges() -> None:
    x = str.__new__(LStr, "abc é")
    x._ao = ()
    assert type(x.encode()) is bytes and type(x.encode("latin-1")) is bytes


def test_encode_errors_are_pythons(origin: Callable[[int], Origin]) -> None:
    x = label(WIDE, origin(1))
    for call in (
        lambda s: s.encode("ascii"), lambda s: s.encode("no-such-codec"), lambda s: s.encode(1),
        lambda s: s.encode("utf-8", 2), lambda s: s.encode("utf\0-8"), lambda s: s.encode(encoding="utf-8", codec="x"),
        lambda s: s.encode("utf-8", "strict", "extra"), lambda s: (s + "\ud800").encode(),
    ):  # fmt: skip
        with pytest.raises(Exception) as labelled_error:
            call(x)
        with pytest.raises(Exception) as plain_error:
            call(plain(x))
        assert type(labelled_error.value) is type(plain_error.value) and str(labelled_error.value) == str(plain_error.value)


def test_labelled_bytes_made_and_freed_keep_their_own_ranges(origin: Callable[[int], Origin]) -> None:
    made = [text(b"x%d" % i, ((0, 1, (origin(i % 5 + 1),)),)) for i in range(5000)]
    del made[::2]
    assert [per_char(b)[0] for b in made] == [{(2 * i + 1) % 5 + 1} for i in range(2500)]
    del made
    fresh = [bytes.__new__(LBytes, b"y") for _ in range(5000)]  # at addresses the freed ones had
    assert not any(hasattr(b, "_ao") for b in fresh)
    encoded = [label(ASCII, origin(1)).encode() for _ in range(100)]
    assert all(per_char(b) == [{1}] * len(ASCII) for b in encoded)


SUBCLASSES = """
from ao_instrument.dataflow.labels import LBytes, LStr
class S(LStr): pass
class B(LBytes): pass
for _ in range(1000):
    s = str.__new__(S, "abc"); s._ao = ((0, 1, ("o",)),)
    b = bytes.__new__(B, b"abc"); b._ao = ((0, 2, ("o",)),)
    assert s._ao == ((0, 1, ("o",)),) and b._ao == ((0, 2, ("o",)),)
    del s, b
print("freed")
"""


def test_subclass_instances_are_freed() -> None:
    proc = subprocess.run([sys.executable, "-c", SUBCLASSES], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "freed", proc.stderr[-2000:]
