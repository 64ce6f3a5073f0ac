"""The AST rewriter: make labels follow values through what Python's own types cannot see.

Labelled values are `str`/`int`/... subclasses, so `+`, `*`, slicing, methods and containers need no
rewriting. What loses labels is code that builds new text without calling them: f-strings, `%` on a
plain template, `sep.join(...)`, `"...".format(...)`, `str()`/`repr()` of containers, `int()` of text,
`json`, `re`, `base64`, templates and validators. Only those sites are rewritten.

In functions, a site checks its operands inline (`type(v) in PLAIN`, a few nanoseconds) and runs
Python's own operation when nothing can carry a label; only otherwise does it call the runtime
(`propagation.py`). Operands are kept in walrus temporaries named `@aoN`, which no source code can
name. At module and class level (where such names would become attributes) the runtime is called.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

from ao_instrument.dataflow import propagation, regex

RUNTIME = "@ao"
PLAIN_TYPES = "@P"
TYPE = "@type"

# Builtins whose first argument is checked inline before calling the runtime.
GUARDED = frozenset(("str", "repr", "ascii", "format", "int", "float"))
BARE = GUARDED | frozenset(
    ("bytes", "type", "intern", "loads", "dumps", *regex.OPERATIONS, *propagation.TRANSFORMS)
)
METHODS = frozenset(
    (
        "join", "format", "format_map", "replace", "intern", "loads", "dumps", *regex.OPERATIONS,
        *propagation.TRANSFORMS, *propagation.RENDERS, *propagation.VALIDATES,
    )
)  # fmt: skip


@dataclass
class _Frame:
    """A scope being rewritten: where walrus temporaries would bind, and how many it has."""

    kind: str  # "module", "class", "function" or "comprehension"
    temps: int = 0
    in_iterable: int = field(default=0)


class Rewriter(ast.NodeTransformer):
    """Rewrites one module; `changed` tells whether anything was rewritten."""

    def __init__(self) -> None:
        self.frames: list[_Frame] = []
        self.changed = False

    # Scopes.
    def visit_Module(self, node: ast.Module) -> ast.Module:
        self.frames.append(_Frame("module"))
        self.generic_visit(node)
        self.frames.pop()
        if self.changed:
            _insert_prologue(node)
        return node

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        self._visit_defaults(node.args)
        self.frames.append(_Frame("function"))
        node.body = self._visit_body(node.body)
        self.frames.pop()
        return node

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self._visit_defaults(node.args)
        self.frames.append(_Frame("function"))
        node.body = self.visit(node.body)
        self.frames.pop()
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.bases = [self.visit(b) for b in node.bases]
        node.keywords = [self.visit(k) for k in node.keywords]
        self.frames.append(_Frame("class"))
        node.body = self._visit_body(node.body)
        self.frames.pop()
        return node

    def _visit_defaults(self, args: ast.arguments) -> None:
        args.defaults = [self.visit(d) for d in args.defaults]
        args.kw_defaults = [d if d is None else self.visit(d) for d in args.kw_defaults]

    def _visit_body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            new = self.visit(stmt)
            if isinstance(new, list):
                out.extend(new)
            elif new is not None:
                out.append(new)
        return out

    def _visit_comprehension(self, node: ast.expr) -> ast.AST:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.frames[-1].in_iterable += 1
        generators[0].iter = self.visit(generators[0].iter)
        self.frames[-1].in_iterable -= 1
        frame = _Frame("comprehension")
        self.frames.append(frame)
        for i, gen in enumerate(generators):
            if i:
                frame.in_iterable += 1
                gen.iter = self.visit(gen.iter)
                frame.in_iterable -= 1
            gen.ifs = [self.visit(test) for test in gen.ifs]
        for name in ("elt", "key", "value"):
            if hasattr(node, name):
                setattr(node, name, self.visit(getattr(node, name)))
        self.frames.pop()
        return node

    visit_ListComp = _visit_comprehension
    visit_SetComp = _visit_comprehension
    visit_DictComp = _visit_comprehension
    visit_GeneratorExp = _visit_comprehension

    # Annotations are never evaluated as values worth labelling (and may be strings): left alone.
    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        node.target = self.visit(node.target)
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node

    def _walrus_frame(self) -> _Frame | None:
        """The function frame walrus temporaries would bind in, or None where they are not allowed."""
        for frame in reversed(self.frames):
            if frame.in_iterable:
                return None
            if frame.kind == "function":
                return frame
            if frame.kind != "comprehension":
                return None
        return None

    def _temp(self, frame: _Frame) -> str:
        frame.temps += 1
        return f"@ao{frame.temps}"

    # f-strings.
    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        fields = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        for f in fields:
            f.value = self.visit(f.value)
            if f.format_spec is not None:
                for inner in f.format_spec.values:  # type: ignore[attr-defined]
                    if isinstance(inner, ast.FormattedValue):
                        inner.value = self.visit(inner.value)
        if not fields:
            return node
        self.changed = True
        template = ast.Tuple(
            [
                ast.Constant(v.value) if isinstance(v, ast.Constant) else ast.Constant(v.conversion)
                for v in node.values
            ],
            ast.Load(),
        )
        frame = self._walrus_frame()
        if frame is None:
            call = _runtime_call("fstr", [template, _tuple([f.value for f in fields]), _specs(fields)])
            return ast.copy_location(call, node)
        temps = [self._temp(frame) for _ in fields]
        checks = [_is_plain(ast.NamedExpr(_store(t), f.value)) for t, f in zip(temps, fields)]
        slow_specs = _specs(fields)
        for t, f in zip(temps, fields):
            f.value = _load(t)
        slow = _runtime_call("fstr", [template, _tuple([_load(t) for t in temps]), slow_specs])
        return _located(ast.IfExp(_all(checks), node, slow), node)

    # %-formatting.
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node.left = self.visit(node.left)
        node.right = self.visit(node.right)
        if not isinstance(node.op, ast.Mod):
            return node
        left, right = node.left, node.right
        text_template = _is_fstring(left) or isinstance(left, ast.Constant) and isinstance(left.value, str)
        if isinstance(left, ast.Constant) and not isinstance(left.value, str):
            return node
        if not text_template and isinstance(right, ast.Constant) and not isinstance(right.value, str):
            return node
        self.changed = True
        frame = self._walrus_frame()
        if frame is None:
            return _located(_runtime_call("mod", [left, right]), node)
        if text_template:
            if isinstance(right, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in right.elts):
                temps = [self._temp(frame) for _ in right.elts]
                checks = [_is_plain(ast.NamedExpr(_store(t), e)) for t, e in zip(temps, right.elts)]
                args = _tuple([_load(t) for t in temps])
                native = ast.BinOp(copy.deepcopy(left), ast.Mod(), args)
                slow = _runtime_call("mod", [left, copy.deepcopy(args)])
                return _located(ast.IfExp(_all(checks), native, slow), node)
            t = self._temp(frame)
            native = ast.BinOp(copy.deepcopy(left), ast.Mod(), _load(t))
            slow = _runtime_call("mod", [left, _load(t)])
            return _located(ast.IfExp(_is_plain(ast.NamedExpr(_store(t), right)), native, slow), node)
        t = self._temp(frame)
        is_text = ast.Compare(
            _type_of(ast.NamedExpr(_store(t), left)), [ast.IsNot()], [ast.Attribute(_load(RUNTIME), "STR", ast.Load())]
        )
        native = ast.BinOp(_load(t), ast.Mod(), right)
        slow = _runtime_call("mod", [_load(t), copy.deepcopy(right)])
        return _located(ast.IfExp(is_text, native, slow), node)

    # Calls.
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in BARE:
            self.changed = True
            return _located(self._bare(node, func.id), node)
        if isinstance(func, ast.Attribute) and func.attr in METHODS:
            self.changed = True
            call = _runtime_call(f"m_{func.attr}", [func.value, *node.args], node.keywords)
            return _located(call, node)
        return node

    def _bare(self, node: ast.Call, name: str) -> ast.expr:
        frame = self._walrus_frame()
        first = node.args[0] if node.args else None
        if frame is None or first is None or isinstance(first, ast.Starred) or name not in GUARDED:
            if name == "type" and frame is not None and len(node.args) == 1 and not node.keywords:
                t = self._temp(frame)
                labelled = ast.Compare(
                    ast.NamedExpr(_store(t), node), [ast.In()], [ast.Attribute(_load(RUNTIME), "LABELLED", ast.Load())]
                )
                return ast.IfExp(labelled, _runtime_call("real_type", [_load(t)]), _load(t))
            return _runtime_call(f"f_{name}", [ast.Name(name, ast.Load()), *node.args], node.keywords)
        t = self._temp(frame)
        rest = node.args[1:]
        native = ast.Call(ast.Name(name, ast.Load()), [_load(t), *rest], node.keywords)
        slow = _runtime_call(
            f"f_{name}", [ast.Name(name, ast.Load()), _load(t), *copy.deepcopy(rest)], copy.deepcopy(node.keywords)
        )
        return ast.IfExp(_is_plain(ast.NamedExpr(_store(t), first)), native, slow)


def _is_fstring(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or isinstance(node, ast.IfExp) and isinstance(node.body, ast.JoinedStr) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fstr"
        and isinstance(node.func.value, ast.Name) and node.func.value.id == RUNTIME
    )  # fmt: skip


def _load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _store(name: str) -> ast.Name:
    return ast.Name(name, ast.Store())


def _tuple(items: list[ast.expr]) -> ast.Tuple:
    return ast.Tuple(items, ast.Load())


def _specs(fields: list[ast.FormattedValue]) -> ast.Tuple:
    return _tuple([ast.Constant(None) if f.format_spec is None else copy.deepcopy(f.format_spec) for f in fields])


def _type_of(value: ast.expr) -> ast.Call:
    return ast.Call(_load(TYPE), [value], [])


def _is_plain(value: ast.expr) -> ast.Compare:
    """`@type(value) in @P`: the inline guard."""
    return ast.Compare(_type_of(value), [ast.In()], [_load(PLAIN_TYPES)])


def _all(checks: list[ast.expr]) -> ast.expr:
    """`a & b & ...`: every check evaluated (every temporary assigned), unlike `and`."""
    test = checks[0]
    for check in checks[1:]:
        test = ast.BinOp(test, ast.BitAnd(), check)
    return test


def _runtime_call(name: str, args: list[ast.expr], keywords: list[ast.keyword] | None = None) -> ast.Call:
    return ast.Call(ast.Attribute(_load(RUNTIME), name, ast.Load()), args, keywords or [])


def _located(new: ast.expr, old: ast.AST) -> ast.expr:
    for node in ast.walk(new):
        if "lineno" in node._attributes and not hasattr(node, "lineno"):
            ast.copy_location(node, old)
    return new


def _insert_prologue(module: ast.Module) -> None:
    """Bind `@ao`, `@P` and `@type` after the docstring and `from __future__` imports."""
    body = module.body
    i = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            i = 1
    while i < len(body) and isinstance(body[i], ast.ImportFrom) and body[i].module == "__future__":  # type: ignore[attr-defined]
        i += 1
    prologue: list[ast.stmt] = [
        ast.Import([ast.alias("ao_instrument.dataflow.propagation", RUNTIME)]),
        ast.ImportFrom(
            "ao_instrument.dataflow.propagation",
            [ast.alias("PLAIN", PLAIN_TYPES), ast.alias("exact_type", TYPE)],
            0,
        ),
    ]
    where = body[i] if i < len(body) else module
    for stmt in prologue:
        stmt.lineno = getattr(where, "lineno", 1)  # type: ignore[attr-defined]
        stmt.col_offset = 0  # type: ignore[attr-defined]
        stmt.end_lineno = stmt.lineno  # type: ignore[attr-defined]
        stmt.end_col_offset = 0  # type: ignore[attr-defined]
        for node in ast.walk(stmt):
            if "lineno" in node._attributes:
                ast.copy_location(node, stmt)
    body[i:i] = prologue


def rewrite_tree(tree: ast.Module) -> bool:
    """Rewrite `tree` in place; True when anything changed."""
    rewriter = Rewriter()
    rewriter.visit(tree)
    if rewriter.changed:
        ast.fix_missing_locations(tree)
    return rewriter.changed


def rewrite_source(source: str | bytes, filename: str) -> ast.Module | None:
    """The rewritten module of `source`, or None when there is nothing to rewrite."""
    tree = ast.parse(source, filename)
    return tree if rewrite_tree(tree) else None
