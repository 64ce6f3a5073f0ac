/* Optional C fast paths for origin tracking (the pure-Python code in labels.py and propagation.py is the
 * reference; without this module it does everything).
 *
 * Labelled text is `labels.LStr`, a `str` subclass with one slot, `_ao`: its ranges, a tuple of
 * `(start, end, origins)` sorted by position, not overlapping, adjacent equal origins merged (ranges.py).
 * `install(LStr, ...)` replaces the hottest methods of that class by the C methods below, and
 * rewritten code calls `fs` and `join1` for its f-strings and `sep.join(...)` sites.
 *
 * Every function here handles the common cases and hands everything else to the Python function it
 * replaces, with the same arguments: unusual argument types, and any error at all (a user's error is
 * then raised again by the Python code, an internal one makes it fail open). The only error raised
 * from here directly is one from consuming a `join` iterable, which cannot be consumed twice.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define MAX_RANGES 512 /* ranges.MAX_RANGES: beyond this ranges.coarse() labels the whole text */

static PyTypeObject *lstr = NULL;  /* labels.LStr */
static Py_ssize_t ao_offset = 0;   /* where the `_ao` slot lives in an LStr instance */
static PyObject *coarse = NULL;    /* ranges.coarse(ranges, length) */
static PyObject *join_fallback = NULL;
static PyObject *fs_fallback = NULL;
static PyObject *empty = NULL;       /* "" */
static PyObject *empty_tuple = NULL; /* () */
static PyObject *no_conversion = NULL; /* -1, the conversion code of a plain field (a cached small int) */

/* The Python methods of LStr replaced by C methods (called for what the C methods do not handle). */
enum { M_GETITEM, M_ADD, M_RADD, M_STRIP, M_LSTRIP, M_RSTRIP, M_COUNT };
static PyObject *python_method[M_COUNT];
static PyObject *str_method[M_COUNT]; /* str.strip etc., the plain operations (the strip family only) */

/* ---- ranges ------------------------------------------------------------------------------------ */

typedef struct {
    Py_ssize_t start, end;
    PyObject *origins;
} Range;

/* Compact ranges: what the C code stores in an LStr's `_ao` slot (one object instead of a tuple of
 * tuples and ints). Reading `_ao` from Python turns them into the tuple form once and stores that back
 * (see ao_get), so Python code only ever sees tuples. Immutable, hence shared between strings.
 *
 * Not tracked by the garbage collector (one of these is made per labelled operation, and tracking
 * doubled their cost). That is safe because no garbage cycle can pass through one: what they hold
 * are tuples of origins, and a path from an origin back to labelled text goes through its scope's
 * tables (`Scope.origins`, `links`, `content`), which `Scopes.end` empties (scopes.py); while a scope
 * lives, everything it reaches is meant to live. Small ones are recycled. */
typedef struct {
    PyObject_VAR_HEAD
    Range items[1];
} Compact;

#define RECYCLED_SIZES 8 /* compact ranges of up to this many ranges are kept for reuse */
#define RECYCLED_MAX 64  /* how many of each size */
static Compact *recycled[RECYCLED_SIZES + 1][RECYCLED_MAX];
static int recycled_count[RECYCLED_SIZES + 1];

static void
compact_dealloc(Compact *self)
{
    Py_ssize_t n = Py_SIZE(self);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_CLEAR(self->items[i].origins);
    }
    if (n <= RECYCLED_SIZES && recycled_count[n] < RECYCLED_MAX) {
        recycled[n][recycled_count[n]++] = self;
        return;
    }
    PyObject_Free(self);
}

static PyTypeObject CompactType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ao_instrument.dataflow._speedups.Ranges",
    .tp_basicsize = offsetof(Compact, items),
    .tp_itemsize = sizeof(Range),
    .tp_dealloc = (destructor)compact_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

/* New compact ranges for `n` ranges (n >= 1), their items not set. */
static Compact *
compact_new(Py_ssize_t n)
{
    if (n <= RECYCLED_SIZES && recycled_count[n]) {
        Compact *out = recycled[n][--recycled_count[n]];
        return (Compact *)PyObject_InitVar((PyVarObject *)out, &CompactType, n);
    }
    return PyObject_NewVar(Compact, &CompactType, n);
}

/* The tuple form of compact ranges: ((start, end, origins), ...). */
static PyObject *
compact_tuple(Compact *c)
{
    PyObject *out = PyTuple_New(Py_SIZE(c));
    for (Py_ssize_t i = 0; out != NULL && i < Py_SIZE(c); i++) {
        PyObject *item = PyTuple_New(3), *s = PyLong_FromSsize_t(c->items[i].start), *e = PyLong_FromSsize_t(c->items[i].end);
        if (item == NULL || s == NULL || e == NULL) {
            Py_XDECREF(item);
            Py_XDECREF(s);
            Py_XDECREF(e);
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(item, 0, s);
        PyTuple_SET_ITEM(item, 1, e);
        PyTuple_SET_ITEM(item, 2, Py_NewRef(c->items[i].origins));
        PyTuple_SET_ITEM(out, i, item);
    }
    return out;
}

/* Ranges placed at increasing offsets and merged, as ranges.join_at() does (origins borrowed). */
typedef struct {
    Range *items;
    Py_ssize_t n, cap;
    PyObject *source; /* the ranges (tuple or compact) added last */
    int single;       /* still possible that the result is `source` itself, unchanged */
    Range local[8];
} Builder;

static void
builder_init(Builder *b)
{
    b->items = b->local;
    b->n = 0;
    b->cap = 8;
    b->source = NULL;
    b->single = 1;
}

static void
builder_free(Builder *b)
{
    if (b->items != b->local) {
        PyMem_Free(b->items);
    }
}

static inline int
builder_push(Builder *b, Py_ssize_t start, Py_ssize_t end, PyObject *origins)
{
    if (b->n) {
        Range *last = &b->items[b->n - 1];
        if (last->end == start) {
            int eq = last->origins == origins ? 1 : PyObject_RichCompareBool(last->origins, origins, Py_EQ);
            if (eq < 0) {
                return -1;
            }
            if (eq) {
                last->end = end;
                b->single = 0;
                return 0;
            }
        }
    }
    if (b->n == b->cap) {
        Py_ssize_t cap = b->cap * 2;
        Range *items = PyMem_Malloc(cap * sizeof(Range));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(items, b->items, b->n * sizeof(Range));
        builder_free(b);
        b->items = items;
        b->cap = cap;
    }
    b->items[b->n++] = (Range){start, end, origins};
    return 0;
}

/* One range of `ranges` (tuple or compact form). */
static inline int
range_at(PyObject *ranges, Py_ssize_t i, Range *out)
{
    if (Py_IS_TYPE(ranges, &CompactType)) {
        *out = ((Compact *)ranges)->items[i];
        return 0;
    }
    PyObject *r = PyTuple_GET_ITEM(ranges, i);
    if (!PyTuple_CheckExact(r) || PyTuple_GET_SIZE(r) != 3) {
        PyErr_SetString(PyExc_TypeError, "a range must be (start, end, origins)");
        return -1;
    }
    out->start = PyLong_AsSsize_t(PyTuple_GET_ITEM(r, 0));
    out->end = PyLong_AsSsize_t(PyTuple_GET_ITEM(r, 1));
    out->origins = PyTuple_GET_ITEM(r, 2);
    return (out->start == -1 || out->end == -1) && PyErr_Occurred() ? -1 : 0;
}

/* Add the part of `ranges` within [lo, hi), re-based at lo and then moved to `at` (clip, then shift). */
static int
builder_add(Builder *b, PyObject *ranges, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t at)
{
    if (!PyTuple_CheckExact(ranges) && !Py_IS_TYPE(ranges, &CompactType)) {
        PyErr_SetString(PyExc_TypeError, "ranges must be a tuple");
        return -1;
    }
    Py_ssize_t n = Py_SIZE(ranges);
    if (n == 0 || hi <= lo) {
        return 0;
    }
    if (b->source != NULL || b->n) {
        b->single = 0;
    }
    b->source = ranges;
    for (Py_ssize_t i = 0; i < n; i++) {
        Range r;
        if (range_at(ranges, i, &r) < 0) {
            return -1;
        }
        if (r.end <= lo || r.start >= hi) {
            b->single = 0;
            if (r.start >= hi) {
                break;
            }
            continue;
        }
        Py_ssize_t s = (r.start > lo ? r.start : lo) - lo + at, e = (r.end < hi ? r.end : hi) - lo + at;
        if (s != r.start || e != r.end) {
            b->single = 0;
        }
        if (builder_push(b, s, e, r.origins) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The ranges built: `source` itself when nothing changed, () when empty, else new compact ranges. */
static PyObject *
builder_finish(Builder *b)
{
    if (b->n == 0) {
        return Py_NewRef(empty_tuple);
    }
    if (b->single && b->n == Py_SIZE(b->source)) {
        return Py_NewRef(b->source);
    }
    Compact *out = compact_new(b->n);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < b->n; i++) {
        out->items[i] = b->items[i];
        Py_INCREF(out->items[i].origins);
    }
    if (b->n > MAX_RANGES) {
        PyObject *ranges = compact_tuple(out);
        Py_DECREF(out);
        if (ranges == NULL) {
            return NULL;
        }
        PyObject *whole = PyObject_CallFunction(coarse, "On", ranges, b->items[b->n - 1].end);
        Py_DECREF(ranges);
        return whole;
    }
    return (PyObject *)out;
}

/* ---- labelled strings -------------------------------------------------------------------------- */

static PyObject **
slot_of(PyObject *obj)
{
    return (PyObject **)((char *)obj + ao_offset);
}

/* The ranges of an LStr (borrowed), or NULL with an error when the slot is empty. */
static PyObject *
ranges_of(PyObject *obj)
{
    PyObject *ranges = *slot_of(obj);
    if (ranges == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_ao");
    }
    return ranges;
}

/* LStr._ao: the ranges in tuple form (compact ranges are converted once, on the first read). */
static PyObject *
ao_get(PyObject *self, void *closure)
{
    PyObject **slot = slot_of(self);
    if (*slot == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_ao");
        return NULL;
    }
    if (Py_IS_TYPE(*slot, &CompactType)) {
        PyObject *ranges = compact_tuple((Compact *)*slot);
        if (ranges == NULL) {
            return NULL;
        }
        Py_SETREF(*slot, ranges);
    }
    return Py_NewRef(*slot);
}

static int
ao_set(PyObject *self, PyObject *value, void *closure)
{
    PyObject **slot = slot_of(self);
    if (value == NULL && *slot == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_ao");
        return -1;
    }
    Py_XSETREF(*slot, Py_XNewRef(value));
    return 0;
}

static PyGetSetDef ao_getset = {"_ao", ao_get, ao_set, "Which characters came from which calls (ranges.py).", NULL};

#if PY_VERSION_HEX < 0x030C0000
/* A new LStr of `length` characters, none written yet, whose largest character is `maxchar`, its `_ao`
 * slot empty. This is how str.__new__(LStr, value) lays it out (unicode_subtype_new, CPython 3.10 and
 * 3.11): a non-compact str, as every instance of a str subclass is, with its characters in their own
 * NUL-terminated buffer, shared as UTF-8 when ASCII. The kind must be the smallest that holds `maxchar`
 * (str equality relies on it). Written only by this module, before anyone else sees it. */
static PyObject *
raw_lstr(Py_ssize_t length, Py_UCS4 maxchar)
{
    int kind = maxchar < 256 ? PyUnicode_1BYTE_KIND : maxchar < 65536 ? PyUnicode_2BYTE_KIND : PyUnicode_4BYTE_KIND;
    if (length > PY_SSIZE_T_MAX / kind - 1) {
        return PyErr_NoMemory();
    }
    void *data = PyObject_Malloc((length + 1) * kind);
    if (data == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *obj = lstr->tp_alloc(lstr, 0); /* zeroed: no wstr, no UTF-8 yet, not interned */
    if (obj == NULL) {
        PyObject_Free(data);
        return NULL;
    }
    PyUnicodeObject *u = (PyUnicodeObject *)obj;
    u->_base._base.length = length;
    u->_base._base.hash = -1;
    u->_base._base.state.kind = kind;
    u->_base._base.state.compact = 0;
    u->_base._base.state.ascii = maxchar < 128;
    u->_base._base.state.ready = 1;
    if (maxchar < 128) {
        u->_base.utf8 = data;
        u->_base.utf8_length = length;
    }
    u->data.any = data;
    PyUnicode_WRITE(kind, data, length, 0);
    return obj;
}
#endif

/* A new LStr with the characters of `value` (an exact str), its `_ao` slot empty. */
static PyObject *
new_lstr(PyObject *value)
{
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(value) < 0) {
        return NULL;
    }
    PyObject *obj = raw_lstr(PyUnicode_GET_LENGTH(value), PyUnicode_MAX_CHAR_VALUE(value));
    if (obj != NULL) {
        memcpy(PyUnicode_DATA(obj), PyUnicode_DATA(value), PyUnicode_GET_LENGTH(value) * PyUnicode_KIND(value));
        ((PyASCIIObject *)obj)->hash = ((PyASCIIObject *)value)->hash;
    }
    return obj;
#else
    PyObject *args = PyTuple_Pack(1, value);
    if (args == NULL) {
        return NULL;
    }
    PyObject *obj = PyUnicode_Type.tp_new(lstr, args, NULL);
    Py_DECREF(args);
    return obj;
#endif
}

/* labels.BUDGET: how many labelled values may still be made (a fail-safe bound, refilled when a scope
 * ends); Python code reads and writes it as `BUDGET[0]`, like the one-item list it is without C. */
typedef struct {
    PyObject_HEAD
    Py_ssize_t left;
} Budget;

static PyObject *
budget_get(Budget *self, PyObject *key)
{
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (i != 0 && i != -1) {
        PyErr_SetString(PyExc_IndexError, "budget index out of range");
        return NULL;
    }
    return PyLong_FromSsize_t(self->left);
}

static int
budget_set(Budget *self, PyObject *key, PyObject *value)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_TypeError, "the budget cannot be deleted");
        return -1;
    }
    PyObject *index = budget_get(self, key);
    if (index == NULL) {
        return -1;
    }
    Py_DECREF(index);
    Py_ssize_t left = PyNumber_AsSsize_t(value, PyExc_OverflowError);
    if (left == -1 && PyErr_Occurred()) {
        return -1;
    }
    self->left = left;
    return 0;
}

static PyMappingMethods budget_mapping = {NULL, (binaryfunc)budget_get, (objobjargproc)budget_set};

static PyTypeObject BudgetType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ao_instrument.dataflow._speedups.Budget",
    .tp_basicsize = sizeof(Budget),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_as_mapping = &budget_mapping,
};

static Budget budget = {PyObject_HEAD_INIT(&BudgetType) 0};

/* `value` (a str) labelled with `ranges`: labels._str(). Consumes neither argument. */
static PyObject *
make_labelled(PyObject *value, PyObject *ranges)
{
    if (!PyTuple_CheckExact(ranges) && !Py_IS_TYPE(ranges, &CompactType)) {
        PyErr_SetString(PyExc_TypeError, "ranges must be a tuple");
        return NULL;
    }
    if (Py_SIZE(ranges) == 0) {
        return Py_NewRef(value);
    }
    if (budget.left <= 0) {
        return Py_NewRef(value);
    }
    budget.left--;
    PyObject *obj = new_lstr(value);
    if (obj != NULL) {
        Py_XSETREF(*slot_of(obj), Py_NewRef(ranges));
    }
    return obj;
}

/* The result of a builder as a labelled `value`. */
static PyObject *
finish_labelled(Builder *b, PyObject *value)
{
    PyObject *ranges = builder_finish(b);
    if (ranges == NULL) {
        return NULL;
    }
    PyObject *out = make_labelled(value, ranges);
    Py_DECREF(ranges);
    return out;
}

#if PY_VERSION_HEX < 0x030C0000
/* Copy the characters of `piece` into the new `obj` (its characters `data`, of `kind`) at *pos, and move
 * *pos past them. */
static inline int
put_chars(PyObject *obj, void *data, int kind, Py_ssize_t *pos, PyObject *piece)
{
    Py_ssize_t len = PyUnicode_GET_LENGTH(piece);
    if (PyUnicode_KIND(piece) == kind) {
        memcpy((char *)data + *pos * kind, PyUnicode_DATA(piece), len * kind);
    }
    else if (PyUnicode_CopyCharacters(obj, *pos, piece, 0, len) < 0) { /* widening */
        return -1;
    }
    *pos += len;
    return 0;
}
#endif

/* `sep.join(seq)` (seq a list or tuple of strs) labelled with `ranges`; written straight into the new
 * LStr (no intermediate plain result) when it will be labelled. */
static PyObject *
joined_labelled(PyObject *sep, PyObject *const *items, Py_ssize_t n, PyObject *ranges)
{
#if PY_VERSION_HEX < 0x030C0000
    if (Py_SIZE(ranges) && budget.left > 0 && PyUnicode_READY(sep) == 0) {
        Py_ssize_t seplen = PyUnicode_GET_LENGTH(sep), total = 0;
        Py_UCS4 maxchar = n > 1 && seplen ? PyUnicode_MAX_CHAR_VALUE(sep) : 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (PyUnicode_READY(items[i]) < 0) {
                return NULL;
            }
            Py_ssize_t len = PyUnicode_GET_LENGTH(items[i]) + (i ? seplen : 0);
            if (len > PY_SSIZE_T_MAX - total) {
                return PyErr_NoMemory();
            }
            total += len;
            Py_UCS4 max = PyUnicode_MAX_CHAR_VALUE(items[i]);
            maxchar = max > maxchar ? max : maxchar;
        }
        PyObject *obj = raw_lstr(total, maxchar);
        if (obj == NULL) {
            return NULL;
        }
        void *data = PyUnicode_DATA(obj);
        int kind = PyUnicode_KIND(obj);
        Py_ssize_t pos = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if ((i && seplen && put_chars(obj, data, kind, &pos, sep) < 0) || put_chars(obj, data, kind, &pos, items[i]) < 0) {
                Py_DECREF(obj);
                return NULL;
            }
        }
        budget.left--;
        *slot_of(obj) = Py_NewRef(ranges);
        return obj;
    }
#endif
    PyObject *result = _PyUnicode_JoinArray(sep, items, n);
    if (result == NULL) {
        return NULL;
    }
    PyObject *out = make_labelled(result, ranges);
    Py_DECREF(result);
    return out;
}

/* `callable(self, *args)`. */
static PyObject *
call_self(PyObject *callable, PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *stack[4];
    if (nargs > 3) {
        PyObject *all = PyTuple_New(nargs + 1);
        if (all == NULL) {
            return NULL;
        }
        PyTuple_SET_ITEM(all, 0, Py_NewRef(self));
        for (Py_ssize_t i = 0; i < nargs; i++) {
            PyTuple_SET_ITEM(all, i + 1, Py_NewRef(args[i]));
        }
        PyObject *out = PyObject_Call(callable, all, NULL);
        Py_DECREF(all);
        return out;
    }
    stack[0] = self;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        stack[i + 1] = args[i];
    }
    return PyObject_Vectorcall(callable, stack, nargs + 1, NULL);
}

/* Whatever went wrong, the Python method decides (the user's error again, or a fail-open result). */
static PyObject *
python(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyErr_Clear();
    return call_self(python_method[method], self, args, nargs);
}

#if PY_VERSION_HEX < 0x030C0000
static destructor lstr_generic_dealloc = NULL; /* what Python gave LStr (typeobject.c's subtype_dealloc) */

/* Free an LStr: what subtype_dealloc does for it (the type has one slot, no __dict__, no weak
 * references, no finalizer), then what str does (an LStr is never interned: sys.intern refuses
 * subclasses, and its characters are in their own buffer). Subclasses of LStr take the generic path. */
static void
lstr_dealloc(PyObject *self)
{
    if (!Py_IS_TYPE(self, lstr)) {
        lstr_generic_dealloc(self);
        return;
    }
    PyObject_GC_UnTrack(self);
    Py_CLEAR(*slot_of(self));
    PyUnicode_Type.tp_dealloc(self); /* frees the buffers, then LStr's tp_free */
    Py_DECREF(lstr);                 /* an instance of a heap type holds a reference to it */
}
#endif

/* ---- LStr methods ------------------------------------------------------------------------------ */

/* self[start:end] labelled (0 <= start < end <= len(self)): written straight into a new LStr when
 * `self` is ASCII (no intermediate plain str), else the plain substring labelled. NULL on error. */
static PyObject *
labelled_sub(PyObject *self, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *ranges = ranges_of(self);
    if (ranges == NULL) {
        return NULL;
    }
    Builder b;
    builder_init(&b);
    PyObject *sub = builder_add(&b, ranges, start, end, 0) < 0 ? NULL : builder_finish(&b);
    builder_free(&b);
    if (sub == NULL) {
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (Py_SIZE(sub) && budget.left > 0 && PyUnicode_IS_READY(self) && PyUnicode_IS_ASCII(self)) {
        PyObject *obj = raw_lstr(end - start, 127);
        if (obj == NULL) {
            Py_DECREF(sub);
            return NULL;
        }
        memcpy(PyUnicode_DATA(obj), (char *)PyUnicode_DATA(self) + start, end - start);
        budget.left--;
        *slot_of(obj) = sub; /* the new reference */
        return obj;
    }
#endif
    PyObject *result = PyUnicode_Substring(self, start, end);
    PyObject *out = result == NULL ? NULL : make_labelled(result, sub);
    Py_XDECREF(result);
    Py_DECREF(sub);
    return out;
}

/* The labelled part of `self` at [start, start + len(result)), or `result` plain when empty. */
static PyObject *
part(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *result, Py_ssize_t start)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(result);
    PyObject *ranges = ranges_of(self);
    if (ranges == NULL) {
        Py_DECREF(result);
        return python(method, self, args, nargs);
    }
    Builder b;
    builder_init(&b);
    PyObject *out = builder_add(&b, ranges, start, start + n, 0) < 0 ? NULL : finish_labelled(&b, result);
    builder_free(&b);
    Py_DECREF(result);
    return out != NULL ? out : python(method, self, args, nargs);
}

static PyObject *
stripped(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if ((nargs == 0 || (nargs == 1 && args[0] == Py_None)) && PyUnicode_IS_READY(self)) {
        /* whitespace, as str.strip() defines it: the bounds found here, the characters copied once */
        Py_ssize_t n = PyUnicode_GET_LENGTH(self), start = 0, end = n;
        int kind = PyUnicode_KIND(self);
        const void *data = PyUnicode_DATA(self);
        if (method != M_RSTRIP) {
            while (start < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, start))) {
                start++;
            }
        }
        if (method != M_LSTRIP) {
            while (end > start && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1))) {
                end--;
            }
        }
        if (start == 0 && end == n) { /* nothing stripped: the same labelled text (str returns itself) */
            return Py_NewRef(self);
        }
        if (start == end) {
            return Py_NewRef(empty);
        }
        PyObject *out = labelled_sub(self, start, end);
        return out != NULL ? out : python(method, self, args, nargs);
    }
    PyObject *result = call_self(str_method[method], self, args, nargs);
    if (result == NULL || !PyUnicode_CheckExact(result)) {
        Py_XDECREF(result);
        return python(method, self, args, nargs);
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(self), kept = PyUnicode_GET_LENGTH(result);
    if (kept == n) { /* nothing stripped: the same labelled text, as Python returns an exact str itself */
        Py_DECREF(result);
        return Py_NewRef(self);
    }
    Py_ssize_t start = 0;
    if (method == M_LSTRIP) {
        start = n - kept;
    }
    else if (method == M_STRIP && kept) {
        if (nargs == 0 || args[0] == Py_None) { /* whitespace, as str.strip() defines it */
            int kind = PyUnicode_KIND(self);
            const void *data = PyUnicode_DATA(self);
            while (start < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, start))) {
                start++;
            }
        }
        else {
            PyObject *rest = call_self(str_method[M_LSTRIP], self, args, nargs);
            if (rest == NULL) {
                Py_DECREF(result);
                return python(method, self, args, nargs);
            }
            start = n - PyUnicode_GET_LENGTH(rest);
            Py_DECREF(rest);
        }
    }
    return part(method, self, args, nargs, result, start);
}

static PyObject *
lstr_strip(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return stripped(M_STRIP, self, args, nargs);
}

static PyObject *
lstr_lstrip(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return stripped(M_LSTRIP, self, args, nargs);
}

static PyObject *
lstr_rstrip(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return stripped(M_RSTRIP, self, args, nargs);
}

static PyObject *
lstr_getitem(PyObject *self, PyObject *key)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(self), start, stop, step;
    if (PyLong_CheckExact(key)) {
        start = PyLong_AsSsize_t(key);
        if (start == -1 && PyErr_Occurred()) {
            return python(M_GETITEM, self, &key, 1);
        }
        if (start < 0) {
            start += n;
        }
        if (start < 0 || start >= n) {
            return python(M_GETITEM, self, &key, 1); /* the IndexError */
        }
        PyObject *result = PyUnicode_Substring(self, start, start + 1);
        if (result == NULL) {
            return python(M_GETITEM, self, &key, 1);
        }
        return part(M_GETITEM, self, &key, 1, result, start);
    }
    if (PySlice_Check(key)) {
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) {
            return python(M_GETITEM, self, &key, 1);
        }
        PySlice_AdjustIndices(n, &start, &stop, step);
        if (step == 1 && stop > start) {
            PyObject *out = labelled_sub(self, start, stop);
            return out != NULL ? out : python(M_GETITEM, self, &key, 1);
        }
        if (step == 1) {
            return Py_NewRef(empty); /* an empty slice is never labelled */
        }
    }
    return python(M_GETITEM, self, &key, 1);
}

/* self + other, other a str (labelled or not). */
static PyObject *
lstr_add(PyObject *self, PyObject *other)
{
    if (!PyUnicode_Check(other)) {
        return python(M_ADD, self, &other, 1); /* Python's own outcome for other types */
    }
    PyObject *result = PyUnicode_Concat(self, other);
    PyObject *ranges = ranges_of(self);
    if (result == NULL || ranges == NULL) {
        Py_XDECREF(result);
        return python(M_ADD, self, &other, 1);
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(self);
    Builder b;
    builder_init(&b);
    PyObject *out = NULL;
    if (builder_add(&b, ranges, 0, n, 0) == 0) {
        PyObject *right = Py_IS_TYPE(other, lstr) ? ranges_of(other) : empty_tuple;
        if (right != NULL && builder_add(&b, right, 0, PY_SSIZE_T_MAX, n) == 0) {
            out = finish_labelled(&b, result);
        }
    }
    builder_free(&b);
    Py_DECREF(result);
    return out != NULL ? out : python(M_ADD, self, &other, 1);
}

/* other + self, other a str that is not labelled (a labelled one is handled by its __add__). */
static PyObject *
lstr_radd(PyObject *self, PyObject *other)
{
    if (!PyUnicode_Check(other)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *result = PyUnicode_Concat(other, self);
    PyObject *ranges = ranges_of(self);
    if (result == NULL || ranges == NULL) {
        Py_XDECREF(result);
        return python(M_RADD, self, &other, 1);
    }
    Builder b;
    builder_init(&b);
    PyObject *out = builder_add(&b, ranges, 0, PY_SSIZE_T_MAX, PyUnicode_GET_LENGTH(other)) < 0
        ? NULL : finish_labelled(&b, result);
    builder_free(&b);
    Py_DECREF(result);
    return out != NULL ? out : python(M_RADD, self, &other, 1);
}

static PyMethodDef lstr_methods[M_COUNT] = {
    [M_GETITEM] = {"__getitem__", (PyCFunction)lstr_getitem, METH_O, NULL},
    [M_ADD] = {"__add__", (PyCFunction)lstr_add, METH_O, NULL},
    [M_RADD] = {"__radd__", (PyCFunction)lstr_radd, METH_O, NULL},
    [M_STRIP] = {"strip", (PyCFunction)(void (*)(void))lstr_strip, METH_FASTCALL, NULL},
    [M_LSTRIP] = {"lstrip", (PyCFunction)(void (*)(void))lstr_lstrip, METH_FASTCALL, NULL},
    [M_RSTRIP] = {"rstrip", (PyCFunction)(void (*)(void))lstr_rstrip, METH_FASTCALL, NULL},
};

/* ---- rewritten sites ----------------------------------------------------------------------------- */

/* join1(receiver, items): `receiver.join(items)` (propagation.join_items). */
static PyObject *
join1(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || join_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "join1(receiver, items) after set_fallbacks()");
        return NULL;
    }
    PyObject *receiver = args[0], *items = args[1];
    if (!PyUnicode_CheckExact(receiver)) {
        return PyObject_Vectorcall(join_fallback, args, 2, NULL);
    }
    PyObject *seq; /* a list or tuple of the items (the iterable is consumed once, here) */
    if (PyList_CheckExact(items) || PyTuple_CheckExact(items)) {
        seq = Py_NewRef(items);
    }
    else if ((seq = PySequence_List(items)) == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **values = PySequence_Fast_ITEMS(seq);
    int labelled = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (Py_IS_TYPE(values[i], lstr)) {
            labelled = 1;
        }
        else if (!PyUnicode_CheckExact(values[i])) {
            labelled = -1;
            break;
        }
    }
    PyObject *out = NULL;
    if (labelled >= 0) {
        if (labelled) {
            Builder b;
            builder_init(&b);
            Py_ssize_t pos = 0, step = PyUnicode_GET_LENGTH(receiver);
            int ok = 1;
            for (Py_ssize_t i = 0; ok && i < n; i++) {
                if (Py_IS_TYPE(values[i], lstr)) {
                    PyObject *ranges = ranges_of(values[i]);
                    ok = ranges != NULL && builder_add(&b, ranges, 0, PY_SSIZE_T_MAX, pos) == 0;
                }
                pos += PyUnicode_GET_LENGTH(values[i]) + step;
            }
            PyObject *ranges = ok ? builder_finish(&b) : NULL;
            builder_free(&b);
            if (ranges != NULL) {
                out = joined_labelled(receiver, values, n, ranges);
                Py_DECREF(ranges);
            }
        }
        else {
            out = PyUnicode_Join(receiver, seq);
        }
    }
    if (out == NULL) {
        PyErr_Clear();
        PyObject *stack[2] = {receiver, seq};
        out = PyObject_Vectorcall(join_fallback, stack, 2, NULL);
    }
    Py_DECREF(seq);
    return out;
}

/* One f-string field of a plain value (str, int, float, bool, None) as Python formats it. */
static PyObject *
plain_field(PyObject *value, long conversion, PyObject *spec)
{
    PyObject *shown;
    switch (conversion) {
    case -1: shown = Py_NewRef(value); break;
    case 's': shown = PyObject_Str(value); break;
    case 'r': shown = PyObject_Repr(value); break;
    case 'a': shown = PyObject_ASCII(value); break;
    default: PyErr_SetString(PyExc_ValueError, "unknown conversion"); return NULL;
    }
    if (shown == NULL) {
        return NULL;
    }
    if (spec == Py_None && PyUnicode_CheckExact(shown)) {
        return shown;
    }
    PyObject *out = PyObject_Format(shown, spec == Py_None ? empty : spec);
    Py_DECREF(shown);
    return out;
}

static int
is_plain_value(PyObject *v)
{
    return PyUnicode_CheckExact(v) || PyLong_CheckExact(v) || PyFloat_CheckExact(v) || PyBool_Check(v) || v == Py_None;
}

/* One f-string field of `template` (see fs()): its conversion code and constant spec (NULL for none),
 * or `*dynamic` set when the spec is the next argument. 0, or -1 for a form this code does not know. */
static int
field_form(PyObject *item, long *conversion, PyObject **spec, int *dynamic)
{
    PyObject *code = item;
    *spec = NULL;
    *dynamic = 0;
    if (PyTuple_CheckExact(item)) {
        Py_ssize_t size = PyTuple_GET_SIZE(item);
        if (size != 1 && size != 2) {
            return -1;
        }
        code = PyTuple_GET_ITEM(item, 0);
        if (size == 2) {
            *spec = PyTuple_GET_ITEM(item, 1);
            if (!PyUnicode_CheckExact(*spec)) {
                return -1;
            }
        }
        else {
            *dynamic = 1;
        }
    }
    if (code == no_conversion) {
        *conversion = -1;
        return 0;
    }
    if (!PyLong_CheckExact(code)) {
        return -1;
    }
    *conversion = PyLong_AsLong(code);
    return *conversion == -1 && PyErr_Occurred() ? -1 : 0;
}

/* The f-string, when every value is plain or an LStr shown as it is; else NULL, with `*users` set when
 * the error is the user's own (formatting a plain value as asked failed: Python raises the same). */
static PyObject *
fs_fast(PyObject *template, PyObject *const *args, Py_ssize_t nargs, int *users)
{
    Py_ssize_t n = PyTuple_GET_SIZE(template), made = 0, k = 0;
    PyObject *local[24], **parts = n <= 24 ? local : PyMem_Malloc(n * sizeof(PyObject *));
    if (parts == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *out = NULL;
    int any_labelled = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(template, i), *piece, *spec;
        long conversion;
        int dynamic;
        if (PyUnicode_CheckExact(item)) {
            parts[made++] = Py_NewRef(item);
            continue;
        }
        if (k >= nargs || field_form(item, &conversion, &spec, &dynamic) < 0) {
            goto done;
        }
        PyObject *value = args[k++];
        if (dynamic) {
            if (k >= nargs || !PyUnicode_Check(args[k])) {
                goto done;
            }
            spec = args[k++];
        }
        if (conversion == -1 && spec == NULL && (PyUnicode_CheckExact(value) || Py_IS_TYPE(value, lstr))) {
            any_labelled |= !PyUnicode_CheckExact(value);
            piece = Py_NewRef(value);
        }
        else if (is_plain_value(value) && (spec == NULL || PyUnicode_CheckExact(spec))) {
            if ((piece = plain_field(value, conversion, spec == NULL ? Py_None : spec)) == NULL) {
                *users = conversion == -1 || conversion == 's' || conversion == 'r' || conversion == 'a';
                goto done;
            }
        }
        else {
            goto done; /* labels.LStr.__format__, repr(), labelled specs, other types: the Python path */
        }
        parts[made++] = piece;
    }
    if (k != nargs) {
        goto done;
    }
    if (!any_labelled) {
        out = _PyUnicode_JoinArray(empty, parts, made);
        goto done;
    }
    Builder b;
    builder_init(&b);
    Py_ssize_t pos = 0;
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < made; i++) {
        PyObject *piece = parts[i];
        if (Py_IS_TYPE(piece, lstr)) {
            PyObject *ranges = ranges_of(piece);
            ok = ranges != NULL && builder_add(&b, ranges, 0, PY_SSIZE_T_MAX, pos) == 0;
        }
        pos += PyUnicode_GET_LENGTH(piece);
    }
    PyObject *ranges = ok ? builder_finish(&b) : NULL;
    builder_free(&b);
    if (ranges != NULL) {
        out = joined_labelled(empty, parts, made, ranges);
        Py_DECREF(ranges);
    }
done:
    for (Py_ssize_t i = 0; i < made; i++) {
        Py_DECREF(parts[i]);
    }
    if (parts != local) {
        PyMem_Free(parts);
    }
    return out;
}

/* fs(template, *values): propagation.fs, a rewritten f-string. */
static PyObject *
fs(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || fs_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "fs(template, *values) after set_fallbacks()");
        return NULL;
    }
    if (PyTuple_CheckExact(args[0])) {
        int users = 0;
        PyObject *out = fs_fast(args[0], args + 1, nargs - 1, &users);
        if (out != NULL || users) {
            return out;
        }
        PyErr_Clear();
    }
    return PyObject_Vectorcall(fs_fallback, args, nargs, NULL);
}

/* Tuple-form ranges as compact ranges (which every later operation reads without converting ints). */
static PyObject *
compact_from_tuple(PyObject *ranges)
{
    Py_ssize_t n = PyTuple_GET_SIZE(ranges);
    Compact *out = compact_new(n);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        out->items[i].origins = NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Range r;
        if (range_at(ranges, i, &r) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        out->items[i] = (Range){r.start, r.end, Py_NewRef(r.origins)};
    }
    return (PyObject *)out;
}

/* labelled(value, ranges): labels._str(), `value` an exact str. */
static PyObject *
labelled(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || lstr == NULL || !PyUnicode_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "labelled(value: str, ranges) after install()");
        return NULL;
    }
    PyObject *ranges = args[1];
    if (!PyTuple_CheckExact(ranges) || PyTuple_GET_SIZE(ranges) == 0) {
        return make_labelled(args[0], ranges);
    }
    PyObject *compact = compact_from_tuple(ranges);
    if (compact == NULL) {
        return NULL;
    }
    PyObject *out = make_labelled(args[0], compact);
    Py_DECREF(compact);
    return out;
}

/* install(LStr, coarse): set up, and put the C methods on LStr (once). */
static PyObject *
install(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyType_Check(args[0]) || !PyType_IsSubtype((PyTypeObject *)args[0], &PyUnicode_Type)) {
        PyErr_SetString(PyExc_TypeError, "install(LStr, coarse)");
        return NULL;
    }
    if (lstr != NULL) {
        Py_RETURN_NONE;
    }
    PyTypeObject *type = (PyTypeObject *)args[0];
    PyObject *slot = PyDict_GetItemString(type->tp_dict, "_ao");
    if (slot == NULL || !Py_IS_TYPE(slot, &PyMemberDescr_Type)
        || ((PyMemberDescrObject *)slot)->d_member->type != T_OBJECT_EX) {
        PyErr_SetString(PyExc_TypeError, "LStr must have an `_ao` slot");
        return NULL;
    }
    for (int m = 0; m < M_COUNT; m++) {
        const char *name = lstr_methods[m].ml_name;
        PyObject *method = PyObject_GetAttrString(args[0], name);
        PyObject *plain = m >= M_STRIP ? PyObject_GetAttrString((PyObject *)&PyUnicode_Type, name) : Py_NewRef(Py_None);
        PyObject *descr = PyDescr_NewMethod(type, &lstr_methods[m]);
        if (method == NULL || plain == NULL || descr == NULL || PyObject_SetAttrString(args[0], name, descr) < 0) {
            Py_XDECREF(method);
            Py_XDECREF(plain);
            Py_XDECREF(descr);
            return NULL;
        }
        Py_DECREF(descr);
        python_method[m] = method;
        str_method[m] = plain;
    }
    ao_offset = ((PyMemberDescrObject *)slot)->d_member->offset;
    PyObject *getset = PyDescr_NewGetSet(type, &ao_getset);
    if (getset == NULL || PyObject_SetAttrString(args[0], "_ao", getset) < 0) {
        Py_XDECREF(getset);
        return NULL;
    }
    Py_DECREF(getset);
    lstr = (PyTypeObject *)Py_NewRef(args[0]);
    coarse = Py_NewRef(args[1]);
#if PY_VERSION_HEX < 0x030C0000
    if (type->tp_dictoffset == 0 && type->tp_weaklistoffset == 0 && type->tp_finalize == NULL && type->tp_del == NULL
        && type->tp_base == &PyUnicode_Type && type->tp_basicsize == (Py_ssize_t)(ao_offset + sizeof(PyObject *))) {
        lstr_generic_dealloc = type->tp_dealloc;
        type->tp_dealloc = lstr_dealloc;
    }
#endif
    Py_RETURN_NONE;
}

/* set_fallbacks(join_items, fs): the Python functions join1 and fs replace. */
static PyObject *
set_fallbacks(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "set_fallbacks(join_items, fs)");
        return NULL;
    }
    Py_XSETREF(join_fallback, Py_NewRef(args[0]));
    Py_XSETREF(fs_fallback, Py_NewRef(args[1]));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"install", (PyCFunction)(void (*)(void))install, METH_FASTCALL, "Set up, and put the C methods on LStr."},
    {"set_fallbacks", (PyCFunction)(void (*)(void))set_fallbacks, METH_FASTCALL, "The Python functions join1 and fs replace."},
    {"labelled", (PyCFunction)(void (*)(void))labelled, METH_FASTCALL, "labels._str(value, ranges) in C."},
    {"join1", (PyCFunction)(void (*)(void))join1, METH_FASTCALL, "receiver.join(items), labelled."},
    {"fs", (PyCFunction)(void (*)(void))fs, METH_FASTCALL, "A rewritten f-string, labelled."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "Optional C fast paths for origin tracking.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    empty = PyUnicode_FromString("");
    empty_tuple = PyTuple_New(0);
    no_conversion = PyLong_FromLong(-1);
    if (empty == NULL || empty_tuple == NULL || no_conversion == NULL || PyType_Ready(&CompactType) < 0 || PyType_Ready(&BudgetType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddObjectRef(m, "budget", (PyObject *)&budget) < 0) {
        Py_CLEAR(m);
    }
    return m;
}
