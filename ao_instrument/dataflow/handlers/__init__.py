"""What rewritten user code calls, one module per family of library calls; `registry.py` is the table
the rewriter reads.

Each handler computes Python's own result first, so behaviour and exceptions are unchanged, and only
looks for labels when an argument could carry one; an internal error gives the plain result
(`guards.fail_open`). `f_NAME(function, *args)` stands for a bare call `NAME(*args)` and receives the
function the name resolved to; `m_NAME(receiver, *args)` for `receiver.NAME(*args)`; `m_NAME_N` takes
exactly N positional arguments. Families made by a factory (`method(name)`, `function(name)`) list
their names in a tuple.
"""
