"""The AST rewriter: make labels follow values through what Python's own types cannot see.

Labelled values are `str`/`int`/... subclasses, so `+`, `*`, slicing, methods and containers need no
rewriting. What loses labels is code that builds new text without calling them: f-strings, `%` on a
plain template, `sep.join(...)`, `"...".format(...)`, `str()`/`repr()` of containers, `int()` of text,
`json`, `re`, `base64`, `urlencode`, templates and validators, and `map(int, ...)` (whose function C
code calls). Only those sites are rewritten.

In functions, a site checks its operands inline (`type(v) in PLAIN`, a few nanoseconds) and runs
Python's own operation when nothing can carry a label; only otherwise does it call a handler
(`handlers/`). Operands are kept in walrus temporaries named `@aoN`, which no source code can
name. At module and class level (where such names would become attributes) the handler is called.
Handlers are the registry's (`handlers/registry.py`), reached through names the module's prologue binds:
`@f.NAME(NAME, *args)` for a bare call, `@m.NAME(receiver, *args)` for a method call, `@m1.NAME`,
`@m2.NAME`, `@m3.NAME` for one with that many positional arguments, `@fs`, `@ao.mod`, `@ao.unbound`,
`@ao.real_type` (`@ao` is the registry). F-strings call `@fs` with their values when the C helper is
built: one C call does the formatting of plain values as fast as the guards would check them.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from ao_instrument.dataflow import regex
from ao_instrument.dataflow.handlers import registry

NESTED_MAX = 6  # values guarded one by one (nested conditionals); more are checked together

# Names the prologue binds in a rewritten module (none can be written in source code): alias -> the
# registry's attribute.
REGISTRY = "@ao"  # the registry module itself
PLAIN_TYPES = "@P"
TYPE = "@type"
FSTRING = "@fs"
FUNCTIONS = "@f"
METHODS = "@m"
FIXED_ARITY = {1: "@m1", 2: "@m2", 3: "@m3"}  # positional arity -> its namespace
PROLOGUE = {
    PLAIN_TYPES: "PLAIN", TYPE: "exact_type", FSTRING: "fs", FUNCTIONS: "functions", METHODS: "methods",
    FIXED_ARITY[1]: "methods_1", FIXED_ARITY[2]: "methods_2", FIXED_ARITY[3]: "methods_3",
}  # fmt: skip

# Builtins whose first argument is checked inline before calling the handler.
GUARDED = frozenset(("str", "repr", "ascii", "format", "int", "float"))


@dataclass
class _Frame:
    """A scope being rewritten: where walrus temporaries would bind, and how many it has."""

    kind: str  # "module", "class", "function" or "comprehension"
    temps: int = 0
    in_iterable: int = field(default=0)
    no_temps: bool = False  # the function looks at its own locals (`locals()`, `vars()`)


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
        self.frames.append(_Frame("function", no_temps=_reads_locals(node)))
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
                return None if frame.no_temps else frame
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
        template = _fs_template(node)
        frame = self._walrus_frame()
        if registry.COMPILED or frame is None:
            return _located(_fs_call(template, fields, [f.value for f in fields]), node)
        values = [f.value for f in fields]

        def native(temps: list[ast.expr]) -> ast.expr:
            for f, t in zip(fields, temps):
                f.value = t
            return node

        def slow(temps: list[ast.expr]) -> ast.expr:
            return _fs_call(copy.deepcopy(template), fields, temps)

        return _located(self._guarded(frame, values, native, slow), node)

    def _guarded(
        self,
        frame: _Frame,
        values: list[ast.expr],
        native: Callable[[list[ast.expr]], ast.expr],
        slow: Callable[[list[ast.expr]], ast.expr],
    ) -> ast.expr:
        """Evaluate `values` in order into temporaries, each checked as soon as it is evaluated.

        All plain: `native(temporaries)`. At the first that is not: `slow(temporaries so far + the
        remaining value expressions)`, so every value is still evaluated once and in order. Beyond
        `NESTED_MAX` values, all are evaluated first and checked together (`&`).
        """
        temps = [self._temp(frame) for _ in values]
        loads = [_load(t) for t in temps]
        if len(values) > NESTED_MAX:
            checks = [_is_plain(ast.NamedExpr(_store(t), v)) for t, v in zip(temps, values)]
            return ast.IfExp(_all(checks), native(loads), slow([_load(t) for t in temps]))
        expr = native(loads)
        for i in reversed(range(len(values))):
            test = _is_plain(ast.NamedExpr(_store(temps[i]), values[i]))
            rest = [_load(t) for t in temps[: i + 1]] + [copy.deepcopy(v) for v in values[i + 1 :]]
            expr = ast.IfExp(test, expr, slow(rest))
        return expr

    # %-formatting.
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node.left = self.visit(node.left)
        node.right = self.visit(node.right)
        if not isinstance(node.op, ast.Mod):
            return node
        left, right = node.left, node.right
        if isinstance(left, ast.Constant) and not isinstance(left.value, str):
            return node
        if not isinstance(left, ast.Constant) and isinstance(right, ast.Constant) and not isinstance(right.value, str):
            return node
        self.changed = True
        frame = self._walrus_frame()
        if frame is None:
            return _located(_handler_call(REGISTRY, "mod", [left, right]), node)
        if isinstance(left, ast.Constant):
            is_tuple = isinstance(right, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in right.elts)
            items = right.elts if is_tuple else [right]  # type: ignore[attr-defined]

            def native(temps: list[ast.expr]) -> ast.expr:
                return ast.BinOp(copy.deepcopy(left), ast.Mod(), _tuple(temps) if is_tuple else temps[0])

            def slow(values: list[ast.expr]) -> ast.expr:
                return _handler_call(REGISTRY, "mod", [copy.deepcopy(left), _tuple(values) if is_tuple else values[0]])

            return _located(self._guarded(frame, items, native, slow), node)
        t = self._temp(frame)
        is_text = ast.Compare(
            _type_of(ast.NamedExpr(_store(t), left)), [ast.IsNot()], [ast.Attribute(_load(REGISTRY), "STR", ast.Load())]
        )
        native_mod = ast.BinOp(_load(t), ast.Mod(), right)
        slow_mod = _handler_call(REGISTRY, "mod", [_load(t), copy.deepcopy(right)])
        return _located(ast.IfExp(is_text, native_mod, slow_mod), node)

    # `str.strip` and friends used as functions (`map(str.strip, lines)`, `str.join(sep, parts)`).
    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        node.value = self.visit(node.value)
        if (
            isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name) and node.value.id in ("str", "bytes")
            and node.attr in registry.UNBOUND
        ):  # fmt: skip
            self.changed = True
            return _located(_handler_call(REGISTRY, "unbound", [node.value, ast.Constant(node.attr)]), node)
        return node

    # Calls.
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in registry.FUNCTIONS:
            self.changed = True
            return _located(self._bare(node, func.id), node)
        if isinstance(func, ast.Attribute) and func.attr in registry.METHODS:
            self.changed = True
            namespace = METHODS
            if (
                (func.attr, len(node.args)) in registry.FIXED_ARITY
                and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)
            ):  # fmt: skip
                namespace = FIXED_ARITY[len(node.args)]
            frame = self._walrus_frame()
            if func.attr == regex.SPLIT and frame is not None:
                # `str.split` is everywhere and needs nothing: a plain receiver splits natively, inline;
                # anything else (labelled text, `re`, a compiled pattern) goes to the handler.
                t = self._temp(frame)
                receiver, func.value = func.value, _load(t)
                slow = _handler_call(
                    namespace, func.attr, [_load(t), *copy.deepcopy(node.args)], copy.deepcopy(node.keywords)
                )
                return _located(ast.IfExp(_is_plain(ast.NamedExpr(_store(t), receiver)), node, slow), node)
            call = _handler_call(namespace, func.attr, [func.value, *node.args], node.keywords)
            return _located(call, node)
        return node

    def _bare(self, node: ast.Call, name: str) -> ast.expr:
        frame = self._walrus_frame()
        first = node.args[0] if node.args else None
        if frame is None or first is None or isinstance(first, ast.Starred) or name not in GUARDED:
            if name == "type" and frame is not None and len(node.args) == 1 and not node.keywords:
                t = self._temp(frame)
                labelled = ast.Compare(
                    ast.NamedExpr(_store(t), node), [ast.In()], [ast.Attribute(_load(REGISTRY), "LABELLED", ast.Load())]
                )
                return ast.IfExp(labelled, _handler_call(REGISTRY, "real_type", [_load(t)]), _load(t))
            return _handler_call(FUNCTIONS, name, [ast.Name(name, ast.Load()), *node.args], node.keywords)
        t = self._temp(frame)
        rest = node.args[1:]
        native = ast.Call(ast.Name(name, ast.Load()), [_load(t), *rest], node.keywords)
        slow = _handler_call(
            FUNCTIONS, name, [ast.Name(name, ast.Load()), _load(t), *copy.deepcopy(rest)], copy.deepcopy(node.keywords)
        )
        return ast.IfExp(_is_plain(ast.NamedExpr(_store(t), first)), native, slow)


def _reads_locals(function: ast.AST) -> bool:
    """Whether a function calls `locals()` or `vars()` (whose result would show the temporaries)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("locals", "vars"):
            if not node.args:
                return True
    return False


def _load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _store(name: str) -> ast.Name:
    return ast.Name(name, ast.Store())


def _tuple(items: list[ast.expr]) -> ast.Tuple:
    return ast.Tuple(items, ast.Load())


def _constant_spec(field: ast.FormattedValue) -> str | None:
    """The format spec of a field when it is a constant, else None."""
    spec = field.format_spec
    if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
        return "".join(v.value for v in spec.values)  # type: ignore[attr-defined]
    return None


def _fs_template(node: ast.JoinedStr) -> ast.Tuple:
    """The template `fs` (`handlers/interpolation.py`) takes: literal parts, and per field `code`, `(code, spec)` or `(code,)`."""
    items: list[ast.expr] = []
    for v in node.values:
        if isinstance(v, ast.Constant):
            items.append(ast.Constant(v.value))
        elif v.format_spec is None:  # type: ignore[attr-defined]
            items.append(ast.Constant(v.conversion))  # type: ignore[attr-defined]
        else:
            spec = _constant_spec(v)  # type: ignore[arg-type]
            form = [ast.Constant(v.conversion)] + ([] if spec is None else [ast.Constant(spec)])  # type: ignore[attr-defined]
            items.append(_tuple(form))
    return _tuple(items)


def _fs_call(template: ast.Tuple, fields: list[ast.FormattedValue], values: list[ast.expr]) -> ast.Call:
    """`@fs(template, value, [dynamic spec,] ...)`."""
    args: list[ast.expr] = [template]
    for f, value in zip(fields, values):
        args.append(value)
        if f.format_spec is not None and _constant_spec(f) is None:
            args.append(copy.deepcopy(f.format_spec))
    return ast.Call(_load(FSTRING), args, [])


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


def _handler_call(
    namespace: str, name: str, args: list[ast.expr], keywords: list[ast.keyword] | None = None
) -> ast.Call:
    """`namespace.name(*args, **keywords)`, with `namespace` one of the names the prologue binds."""
    return ast.Call(ast.Attribute(_load(namespace), name, ast.Load()), args, keywords or [])


def _located(new: ast.expr, old: ast.AST) -> ast.expr:
    for node in ast.walk(new):
        if "lineno" in node._attributes and not hasattr(node, "lineno"):
            ast.copy_location(node, old)
    return new


def _insert_prologue(module: ast.Module) -> None:
    """Bind `@ao` and the names of `PROLOGUE` after the docstring and `from __future__` imports."""
    body = module.body
    i = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            i = 1
    while i < len(body) and isinstance(body[i], ast.ImportFrom) and body[i].module == "__future__":  # type: ignore[attr-defined]
        i += 1
    prologue: list[ast.stmt] = [
        ast.Import([ast.alias(registry.__name__, REGISTRY)]),
        ast.ImportFrom(registry.__name__, [ast.alias(name, alias) for alias, name in PROLOGUE.items()], 0),
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
