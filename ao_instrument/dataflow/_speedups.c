/* Optional C fast paths for origin tracking (the pure-Python code in label_types.py, labels.py and the
 * handlers package is the reference; without this module it does everything).
 *
 * Labelled text is `labels.LStr`, a `str` subclass with one slot, `_ao`: its ranges, a tuple of
 * `(start, end, origins)` sorted by position, not overlapping, adjacent equal origins merged (ranges.py).
 * `install(LStr, LBytes, ...)` replaces the methods of that class that make text by the C methods below
 * (and keeps the ranges of labelled bytes in a table here), and rewritten code calls `fs` and `join1`
 * for its f-strings and `sep.join(...)` sites.
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
enum {
    M_GETITEM, M_ADD, M_RADD, M_STRIP, M_LSTRIP, M_RSTRIP, M_UPPER, M_LOWER, M_CASEFOLD, M_SWAPCASE, M_TITLE,
    M_CAPITALIZE, M_EXPANDTABS, M_TRANSLATE, M_LJUST, M_RJUST, M_CENTER, M_ZFILL, M_REMOVEPREFIX, M_REMOVESUFFIX,
    M_SPLIT, M_RSPLIT, M_SPLITLINES, M_PARTITION, M_RPARTITION, M_REPLACE, M_MUL, M_RMUL, M_STR, M_FORMAT, M_ITER,
    M_MOD, M_FORMAT_METHOD, M_FORMAT_MAP, M_JOIN, M_REPR, M_ENCODE,
    M_COUNT
};
static PyObject *python_method[M_COUNT];
static PyObject *str_method[M_COUNT]; /* str.strip etc., the plain operations (None where str has none) */

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
    PyObject *unit;   /* of one range: the compact ranges of a 1-character piece of it, made once */
    PyObject **chars; /* of one range, once iterated: its ASCII characters labelled `unit`, each made once */
    Range items[1];
} Compact;

#define CACHED_CHARS 128 /* the characters kept in `chars`: ASCII */
#define TABLES_KEPT 1024 /* at most this many texts keep their characters at a time (some 5 MB) */
static int tables_kept = 0;

#define RECYCLED_SIZES 8 /* compact ranges of up to this many ranges are kept for reuse */
#define RECYCLED_MAX 64  /* how many of each size */
static Compact *recycled[RECYCLED_SIZES + 1][RECYCLED_MAX];
static int recycled_count[RECYCLED_SIZES + 1];

static void
compact_dealloc(Compact *self)
{
    Py_ssize_t n = Py_SIZE(self);
    Py_CLEAR(self->unit);
    if (self->chars != NULL) {
        PyObject **chars = self->chars;
        self->chars = NULL;
        for (int c = 0; c < CACHED_CHARS; c++) {
            Py_XDECREF(chars[c]);
        }
        PyMem_Free(chars);
        tables_kept--;
    }
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
    Compact *out = n <= RECYCLED_SIZES && recycled_count[n]
        ? (Compact *)PyObject_InitVar((PyVarObject *)recycled[n][--recycled_count[n]], &CompactType, n)
        : PyObject_NewVar(Compact, &CompactType, n);
    if (out != NULL) {
        out->unit = NULL;
        out->chars = NULL;
    }
    return out;
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

static PyObject *compact_from_tuple(PyObject *ranges);
static PyObject *join_seq(PyObject *receiver, PyObject *seq);

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
/* Memory of freed LStr objects (each with its GC header, untracked), reused by raw_lstr, and of the
 * character buffers of short ones, by their exact size in bytes (a buffer kept under size S holds at
 * least S bytes, whoever allocated it: raw_lstr and str.__new__ both allocate (length + 1) * kind). */
#define SHELLS_KEPT 256
#define SMALL_BUFFER 32
#define SMALL_KEPT 64
static PyObject *shells[SHELLS_KEPT];
static int shell_count;
static void *small_buffers[SMALL_BUFFER + 1][SMALL_KEPT];
static int small_count[SMALL_BUFFER + 1];

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
    size_t size = (size_t)(length + 1) * kind;
    void *data = size <= SMALL_BUFFER && small_count[size] ? small_buffers[size][--small_count[size]] : PyObject_Malloc(size);
    if (data == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *obj;
    if (shell_count) { /* a freed LStr's memory: made new as tp_alloc makes it */
        obj = shells[--shell_count];
        memset((char *)obj + sizeof(PyObject), 0, lstr->tp_basicsize - sizeof(PyObject));
        _Py_NewReference(obj);
        Py_INCREF(lstr);
        PyObject_GC_Track(obj);
    }
    else if ((obj = lstr->tp_alloc(lstr, 0)) == NULL) { /* zeroed: no wstr, no UTF-8 yet, not interned */
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
    else { /* widening (PyUnicode_CopyCharacters refuses a str subclass as its target) */
        int from = PyUnicode_KIND(piece);
        const void *src = PyUnicode_DATA(piece);
        for (Py_ssize_t i = 0; i < len; i++) {
            PyUnicode_WRITE(kind, data, *pos + i, PyUnicode_READ(from, src, i));
        }
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
/* Free an LStr: what subtype_dealloc does for it (the type has one slot, no __dict__, no weak
 * references, no finalizer), then what str does (an LStr is never interned: sys.intern refuses
 * subclasses, and its characters are in their own buffer). */
static void
lstr_dealloc(PyObject *self)
{
    if (!Py_IS_TYPE(self, lstr)) { /* a subclass's subtype_dealloc calling its base's: the rest is ours */
        PyTypeObject *type = Py_TYPE(self);
        PyObject_GC_UnTrack(self);
        Py_CLEAR(*slot_of(self));
        PyUnicode_Type.tp_dealloc(self);
        Py_DECREF(type);
        return;
    }
    PyObject_GC_UnTrack(self);
    Py_CLEAR(*slot_of(self));
    PyUnicodeObject *u = (PyUnicodeObject *)self;
    void *data = u->data.any;
    if (shell_count < SHELLS_KEPT && data != NULL && u->_base._base.wstr == NULL
        && (u->_base.utf8 == NULL || u->_base.utf8 == data) && !u->_base._base.state.compact) {
        /* the object's memory kept for the next labelled string, a short text's characters too */
        size_t size = (size_t)(u->_base._base.length + 1) * u->_base._base.state.kind;
        if (size <= SMALL_BUFFER && small_count[size] < SMALL_KEPT) {
            small_buffers[size][small_count[size]++] = data;
        }
        else {
            PyObject_Free(data);
        }
        shells[shell_count++] = self;
        Py_DECREF(lstr); /* an instance of a heap type holds a reference to it */
        return;
    }
    PyUnicode_Type.tp_dealloc(self); /* frees the buffers, then LStr's tp_free */
    Py_DECREF(lstr);
}
#endif

/* ---- LStr methods ------------------------------------------------------------------------------ */

/* A new LStr of the one character `ch` labelled `unit` (budget.left > 0). */
static PyObject *
new_char(Py_UCS4 ch, PyObject *unit)
{
#if PY_VERSION_HEX < 0x030C0000
    PyObject *obj = raw_lstr(1, ch);
    if (obj != NULL) {
        PyUnicode_WRITE(PyUnicode_KIND(obj), PyUnicode_DATA(obj), 0, ch);
    }
#else
    PyObject *value = PyUnicode_FromOrdinal(ch), *obj = value == NULL ? NULL : new_lstr(value);
    Py_XDECREF(value);
#endif
    if (obj != NULL) {
        budget.left--;
        *slot_of(obj) = Py_NewRef(unit);
    }
    return obj;
}

/* The LStr of the ASCII character `ch` labelled `unit`, kept in `c->chars` (a text iterated once gives
 * each of its characters as one shared object, as `str` does; they all carry the same ranges). */
static PyObject *
cached_char(Compact *c, Py_UCS4 ch, PyObject *unit)
{
    PyObject *obj = c->chars[ch];
    if (obj != NULL) {
        return Py_NewRef(obj);
    }
    if ((obj = new_char(ch, unit)) == NULL) {
        return NULL;
    }
    PyObject_GC_UnTrack(obj); /* kept, and in no cycle: the collector need not look at it (see Compact) */
    c->chars[ch] = Py_NewRef(obj);
    return obj;
}

/* self[start:end] labelled (0 <= start < end <= len(self)): written straight into a new LStr when
 * `self` is ASCII (no intermediate plain str), else the plain substring labelled. NULL on error. */
static PyObject *
labelled_sub(PyObject *self, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *ranges = ranges_of(self);
    if (ranges == NULL) {
        return NULL;
    }
    PyObject *sub;
    if (Py_IS_TYPE(ranges, &CompactType) && Py_SIZE(ranges) == 1) { /* one range, the common case */
        Range r = ((Compact *)ranges)->items[0];
        Py_ssize_t s = (r.start > start ? r.start : start) - start, e = (r.end < end ? r.end : end) - start;
        if (e <= s) {
            sub = Py_NewRef(empty_tuple);
        }
        else if (s == r.start && e == r.end) {
            sub = Py_NewRef(ranges);
        }
        else if (s == 0 && e == 1 && ((Compact *)ranges)->unit != NULL) { /* a labelled character */
            sub = Py_NewRef(((Compact *)ranges)->unit);
        }
        else if ((sub = (PyObject *)compact_new(1)) != NULL) {
            ((Compact *)sub)->items[0] = (Range){s, e, Py_NewRef(r.origins)};
            if (s == 0 && e == 1) {
                ((Compact *)ranges)->unit = Py_NewRef(sub); /* shared by the next characters */
            }
        }
        Compact *c = (Compact *)ranges;
        if (sub != NULL && sub == c->unit && c->chars != NULL && budget.left > 0) {
            Py_UCS4 ch = PyUnicode_READ_CHAR(self, start);
            if (ch < CACHED_CHARS) { /* of a text iterated before: the character kept */
                Py_DECREF(sub);
                return cached_char(c, ch, c->unit);
            }
        }
    }
    else {
        Builder b;
        builder_init(&b);
        sub = builder_add(&b, ranges, start, end, 0) < 0 ? NULL : builder_finish(&b);
        builder_free(&b);
    }
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

static PyObject *
stripped(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *chars = nargs == 1 && args[0] != Py_None ? args[0] : NULL;
    if (nargs <= 1 && PyUnicode_IS_READY(self) && (chars == NULL || (PyUnicode_Check(chars) && PyUnicode_READY(chars) == 0))) {
        /* whitespace as str.strip() defines it, or the characters given: the bounds found here, the
         * characters copied once */
        Py_ssize_t n = PyUnicode_GET_LENGTH(self), start = 0, end = n, m = chars == NULL ? 0 : PyUnicode_GET_LENGTH(chars);
        int kind = PyUnicode_KIND(self);
        const void *data = PyUnicode_DATA(self);
#define STRIPPED(i) (chars == NULL ? Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, (i))) \
                                   : PyUnicode_FindChar(chars, PyUnicode_READ(kind, data, (i)), 0, m, 1) >= 0)
        if (method != M_RSTRIP) {
            while (start < n && STRIPPED(start)) {
                start++;
            }
        }
        if (method != M_LSTRIP) {
            while (end > start && STRIPPED(end - 1)) {
                end--;
            }
        }
#undef STRIPPED
        if (start == 0 && end == n) { /* nothing stripped: the same labelled text (str returns itself) */
            return Py_NewRef(self);
        }
        if (start == end) {
            return Py_NewRef(empty);
        }
        PyObject *out = labelled_sub(self, start, end);
        return out != NULL ? out : python(method, self, args, nargs);
    }
    return python(method, self, args, nargs); /* other arguments: Python's error, or its result */
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

/* self[start::step] (count characters, step != 1) labelled character by character (ranges.stepped). */
static PyObject *
stepped_sub(PyObject *self, PyObject *key, Py_ssize_t start, Py_ssize_t step, Py_ssize_t count)
{
    PyObject *ranges = ranges_of(self);
    PyObject *result = ranges == NULL ? NULL : PyUnicode_Type.tp_as_mapping->mp_subscript(self, key);
    if (result == NULL || !PyUnicode_CheckExact(result)) {
        Py_XDECREF(result);
        return NULL;
    }
    Builder b;
    builder_init(&b);
    int ok = 1;
    Py_ssize_t nr = Py_SIZE(ranges), m = step > 0 ? step : -step;
    for (Py_ssize_t k = 0; ok && k < nr; k++) { /* the items j whose source start + j * step is in a range */
        Range r;
        if (range_at(ranges, step > 0 ? k : nr - 1 - k, &r) < 0) {
            ok = 0;
            break;
        }
        Py_ssize_t lo, hi;
        if (step > 0) {
            lo = r.start - start <= 0 ? 0 : (r.start - start + m - 1) / m;
            hi = r.end - start <= 0 ? 0 : (r.end - start + m - 1) / m;
        }
        else {
            lo = start - r.end < 0 ? 0 : (start - r.end) / m + 1;
            hi = start - r.start < 0 ? 0 : (start - r.start) / m + 1;
        }
        hi = hi < count ? hi : count;
        if (lo < hi) {
            ok = builder_push(&b, lo, hi, r.origins) == 0;
            b.single = 0;
        }
    }
    PyObject *out = ok ? finish_labelled(&b, result) : NULL;
    builder_free(&b);
    Py_DECREF(result);
    return out;
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
        PyObject *out = labelled_sub(self, start, start + 1);
        return out != NULL ? out : python(M_GETITEM, self, &key, 1);
    }
    if (PySlice_Check(key)) {
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) {
            return python(M_GETITEM, self, &key, 1);
        }
        Py_ssize_t count = PySlice_AdjustIndices(n, &start, &stop, step);
        if (step == 1 && stop > start) {
            if (start == 0 && stop == n) {
                return Py_NewRef(self); /* the whole text (as str gives itself) */
            }
            PyObject *out = labelled_sub(self, start, stop);
            return out != NULL ? out : python(M_GETITEM, self, &key, 1);
        }
        if (count == 0) {
            return Py_NewRef(empty); /* an empty slice is never labelled */
        }
        PyObject *out = stepped_sub(self, key, start, step, count);
        return out != NULL ? out : python(M_GETITEM, self, &key, 1);
    }
    return python(M_GETITEM, self, &key, 1);
}

/* left + right labelled with `ranges`, written straight into the new LStr. */
static PyObject *
concat_labelled(PyObject *left, PyObject *right, Builder *b)
{
    PyObject *ranges = builder_finish(b);
    if (ranges == NULL) {
        return NULL;
    }
    PyObject *items[2] = {left, right};
    PyObject *out = joined_labelled(empty, items, 2, ranges);
    Py_DECREF(ranges);
    return out;
}

/* self + other, other a str (labelled or not). */
static PyObject *
lstr_add(PyObject *self, PyObject *other)
{
    if (!PyUnicode_Check(other)) {
        return python(M_ADD, self, &other, 1); /* Python's own outcome for other types */
    }
    PyObject *ranges = ranges_of(self);
    if (ranges == NULL || (!PyUnicode_CheckExact(other) && !Py_IS_TYPE(other, lstr))) {
        return python(M_ADD, self, &other, 1);
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(self);
    Builder b;
    builder_init(&b);
    PyObject *out = NULL;
    if (builder_add(&b, ranges, 0, n, 0) == 0) {
        PyObject *right = Py_IS_TYPE(other, lstr) ? ranges_of(other) : empty_tuple;
        if (right != NULL && builder_add(&b, right, 0, PY_SSIZE_T_MAX, n) == 0) {
            out = concat_labelled(self, other, &b);
        }
    }
    builder_free(&b);
    return out != NULL ? out : python(M_ADD, self, &other, 1);
}

/* other + self, other a str that is not labelled (a labelled one is handled by its __add__). */
static PyObject *
lstr_radd(PyObject *self, PyObject *other)
{
    if (!PyUnicode_Check(other)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *ranges = ranges_of(self);
    if (ranges == NULL || !PyUnicode_CheckExact(other)) {
        return python(M_RADD, self, &other, 1);
    }
    Builder b;
    builder_init(&b);
    PyObject *out = builder_add(&b, ranges, 0, PY_SSIZE_T_MAX, PyUnicode_GET_LENGTH(other)) < 0
        ? NULL : concat_labelled(other, self, &b);
    builder_free(&b);
    return out != NULL ? out : python(M_RADD, self, &other, 1);
}

/* ---- more LStr methods (issue 14): transforms, padding, pieces, repetition, iteration ------------ */

/* The Python method, called as it was (positional and keyword arguments). */
static PyObject *
python_kw(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyErr_Clear();
    Py_ssize_t total = nargs + (kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0);
    PyObject *local[8], **stack = total < 8 ? local : PyMem_Malloc((total + 1) * sizeof(PyObject *));
    if (stack == NULL) {
        return PyErr_NoMemory();
    }
    stack[0] = self;
    for (Py_ssize_t i = 0; i < total; i++) {
        stack[i + 1] = args[i];
    }
    PyObject *out = PyObject_Vectorcall(python_method[method], stack, nargs + 1, kwnames);
    if (stack != local) {
        PyMem_Free(stack);
    }
    return out;
}

/* `str.NAME(self, *args)`, an exact str, or NULL (the caller falls back). */
static PyObject *
plain_result(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *result = call_self(str_method[method], self, args, nargs);
    if (result != NULL && !PyUnicode_CheckExact(result)) {
        Py_CLEAR(result);
    }
    return result;
}

/* `result` labelled with the ranges of `self` moved by `offset` (padding), NULL on error. */
static PyObject *
shifted(PyObject *self, PyObject *result, Py_ssize_t offset)
{
    PyObject *ranges = ranges_of(self);
    if (ranges == NULL) {
        return NULL;
    }
    if (offset == 0) {
        return make_labelled(result, ranges);
    }
    Builder b;
    builder_init(&b);
    PyObject *out = builder_add(&b, ranges, 0, PY_SSIZE_T_MAX, offset) < 0 ? NULL : finish_labelled(&b, result);
    builder_free(&b);
    return out;
}

/* `result` labelled with every origin of `ranges` over its whole length (ranges.coarse). */
static PyObject *
coarse_labelled(PyObject *result, PyObject *ranges)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(result);
    if (n == 0 || Py_SIZE(ranges) == 0) {
        return Py_NewRef(result);
    }
    if (Py_SIZE(ranges) == 1) {
        Range r;
        if (range_at(ranges, 0, &r) < 0) {
            return NULL;
        }
        Compact *whole = compact_new(1);
        if (whole == NULL) {
            return NULL;
        }
        whole->items[0] = (Range){0, n, Py_NewRef(r.origins)};
        PyObject *out = make_labelled(result, (PyObject *)whole);
        Py_DECREF(whole);
        return out;
    }
    PyObject *tuple = Py_IS_TYPE(ranges, &CompactType) ? compact_tuple((Compact *)ranges) : Py_NewRef(ranges);
    PyObject *whole = tuple == NULL ? NULL : PyObject_CallFunction(coarse, "On", tuple, n);
    Py_XDECREF(tuple);
    if (whole == NULL) {
        return NULL;
    }
    PyObject *out = PyTuple_CheckExact(whole) && PyTuple_GET_SIZE(whole) ? compact_from_tuple(whole) : NULL;
    Py_DECREF(whole);
    if (out == NULL) {
        return NULL;
    }
    PyObject *labelled_result = make_labelled(result, out);
    Py_DECREF(out);
    return labelled_result;
}

/* Methods that map characters one to one (upper, lower, ..., translate): the same ranges when the
 * length is unchanged; otherwise (a few non-ASCII case mappings) the Python method decides. */
static PyObject *
same_positions(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames == NULL) {
        PyObject *result = plain_result(method, self, args, nargs);
        if (result != NULL) {
            PyObject *ranges = ranges_of(self);
            PyObject *out = ranges == NULL ? NULL
                : PyUnicode_GET_LENGTH(result) == PyUnicode_GET_LENGTH(self) ? make_labelled(result, ranges)
                : coarse_labelled(result, ranges);
            Py_DECREF(result);
            if (out != NULL) {
                return out;
            }
        }
        Py_XDECREF(result);
    }
    return python_kw(method, self, args, nargs, kwnames);
}

/* `self` between `left` and `right` copies of `fill`, labelled with `ranges` (those of `self` moved by
 * `left`), written straight into a new LStr; NULL, with or without an error, when that cannot be done. */
static PyObject *
padded_direct(PyObject *self, Py_ssize_t left, Py_ssize_t right, Py_UCS4 fill, PyObject *ranges)
{
#if PY_VERSION_HEX < 0x030C0000
    if (Py_SIZE(ranges) == 0 || budget.left <= 0 || !PyUnicode_IS_READY(self)) {
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(self);
    Py_UCS4 maxchar = PyUnicode_MAX_CHAR_VALUE(self);
    PyObject *obj = raw_lstr(left + n + right, fill > maxchar ? fill : maxchar);
    if (obj == NULL) {
        return NULL;
    }
    int kind = PyUnicode_KIND(obj), from = PyUnicode_KIND(self);
    void *data = PyUnicode_DATA(obj);
    const void *src = PyUnicode_DATA(self);
    if (kind == PyUnicode_1BYTE_KIND) {
        memset(data, (int)fill, left);
        memcpy((char *)data + left, src, n);
        memset((char *)data + left + n, (int)fill, right);
    }
    else { /* (PyUnicode_Fill and PyUnicode_CopyCharacters refuse a str subclass) */
        for (Py_ssize_t i = 0; i < left; i++) {
            PyUnicode_WRITE(kind, data, i, fill);
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyUnicode_WRITE(kind, data, left + i, PyUnicode_READ(from, src, i));
        }
        for (Py_ssize_t i = left + n; i < left + n + right; i++) {
            PyUnicode_WRITE(kind, data, i, fill);
        }
    }
    budget.left--;
    *slot_of(obj) = Py_NewRef(ranges);
    return obj;
#else
    return NULL;
#endif
}

/* ljust, rjust, center, zfill: the text moved by the padding on its left (labels.py `_pad`). */
static PyObject *
padded(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames == NULL && method == M_ZFILL && nargs == 1 && PyLong_CheckExact(args[0])) {
        Py_ssize_t width = PyLong_AsSsize_t(args[0]), n = PyUnicode_GET_LENGTH(self);
        PyObject *ranges = ranges_of(self);
        if (!(width == -1 && PyErr_Occurred()) && ranges != NULL && width > n) {
            Builder b;
            builder_init(&b);
            PyObject *moved = builder_add(&b, ranges, 0, n, width - n) < 0 ? NULL : builder_finish(&b);
            builder_free(&b);
            PyObject *out = moved == NULL ? NULL : padded_direct(self, width - n, 0, '0', moved);
            Py_XDECREF(moved);
            if (out != NULL) {
                Py_UCS4 sign = n ? PyUnicode_READ_CHAR(self, 0) : 0;
                if (sign == '+' || sign == '-') { /* the sign goes first, as str.zfill puts it */
                    int kind = PyUnicode_KIND(out);
                    PyUnicode_WRITE(kind, PyUnicode_DATA(out), 0, sign);
                    PyUnicode_WRITE(kind, PyUnicode_DATA(out), width - n, '0');
                }
                return out;
            }
        }
        PyErr_Clear();
    }
    if (kwnames == NULL && method != M_ZFILL && (nargs == 1 || nargs == 2) && PyLong_CheckExact(args[0])
        && (nargs == 1 || (PyUnicode_Check(args[1]) && PyUnicode_READY(args[1]) == 0 && PyUnicode_GET_LENGTH(args[1]) == 1))) {
        Py_ssize_t width = PyLong_AsSsize_t(args[0]), n = PyUnicode_GET_LENGTH(self);
        PyObject *ranges = ranges_of(self);
        if (!(width == -1 && PyErr_Occurred()) && ranges != NULL && width > n) {
            Py_ssize_t margin = width - n;
            Py_ssize_t left = method == M_LJUST ? 0 : method == M_RJUST ? margin : margin / 2 + (margin & width & 1);
            Py_UCS4 fill = nargs == 2 ? PyUnicode_READ_CHAR(args[1], 0) : ' ';
            Builder b;
            builder_init(&b);
            PyObject *moved = builder_add(&b, ranges, 0, n, left) < 0 ? NULL : builder_finish(&b);
            builder_free(&b);
            PyObject *out = moved == NULL ? NULL : padded_direct(self, left, margin - left, fill, moved);
            Py_XDECREF(moved);
            if (out != NULL) {
                return out;
            }
        }
        PyErr_Clear();
    }
    if (kwnames == NULL && nargs >= 1 && PyLong_CheckExact(args[0])) {
        PyObject *result = plain_result(method, self, args, nargs);
        if (result != NULL) {
            Py_ssize_t margin = PyUnicode_GET_LENGTH(result) - PyUnicode_GET_LENGTH(self), offset = 0;
            if (method == M_RJUST || method == M_ZFILL) {
                offset = margin;
            }
            else if (method == M_CENTER && margin) {
                Py_ssize_t width = PyLong_AsSsize_t(args[0]);
                offset = margin / 2 + (margin & width & 1);
            }
            PyObject *out = PyErr_Occurred() ? NULL : shifted(self, result, offset);
            Py_DECREF(result);
            if (out != NULL) {
                return out;
            }
        }
    }
    return python_kw(method, self, args, nargs, kwnames);
}

/* removeprefix, removesuffix: a part of the text. */
static PyObject *
removed(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames == NULL && nargs == 1 && PyUnicode_Check(args[0])) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(self), cut = PyUnicode_GET_LENGTH(args[0]);
        int match = cut <= n && PyUnicode_Tailmatch(self, args[0], 0, n, method == M_REMOVEPREFIX ? -1 : 1);
        if (match < 0) {
            return python_kw(method, self, args, nargs, kwnames);
        }
        if (!match || cut == 0) {
            return Py_NewRef(self);
        }
        if (cut == n) {
            return Py_NewRef(empty);
        }
        PyObject *out = method == M_REMOVEPREFIX ? labelled_sub(self, cut, n) : labelled_sub(self, 0, n - cut);
        if (out != NULL) {
            return out;
        }
    }
    return python_kw(method, self, args, nargs, kwnames);
}

/* self[start:end] labelled, "" when empty, self when whole. */
static PyObject *
piece(PyObject *self, Py_ssize_t start, Py_ssize_t end)
{
    if (end <= start) {
        return Py_NewRef(empty);
    }
    if (start == 0 && end == PyUnicode_GET_LENGTH(self)) {
        return Py_NewRef(self);
    }
    return labelled_sub(self, start, end);
}

/* Bounds of pieces, growable. */
typedef struct {
    Py_ssize_t *at; /* start, end pairs */
    Py_ssize_t n, cap;
    Py_ssize_t local[32];
} Bounds;

static int
bounds_add(Bounds *b, Py_ssize_t start, Py_ssize_t end)
{
    if (b->n + 2 > b->cap) {
        Py_ssize_t cap = b->cap * 2;
        Py_ssize_t *at = PyMem_Malloc(cap * sizeof(Py_ssize_t));
        if (at == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(at, b->at, b->n * sizeof(Py_ssize_t));
        if (b->at != b->local) {
            PyMem_Free(b->at);
        }
        b->at = at;
        b->cap = cap;
    }
    b->at[b->n++] = start;
    b->at[b->n++] = end;
    return 0;
}

/* The pieces as a list of labelled strings (`reverse`: the bounds were found from the right). */
static PyObject *
pieces_list(PyObject *self, Bounds *b, int reverse)
{
    Py_ssize_t count = b->n / 2;
    PyObject *list = PyList_New(count);
    for (Py_ssize_t i = 0; list != NULL && i < count; i++) {
        Py_ssize_t k = reverse ? count - 1 - i : i;
        PyObject *item = piece(self, b->at[2 * k], b->at[2 * k + 1]);
        if (item == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

/* The bounds of str.split / str.rsplit, as CPython's stringlib computes them. 0, or -1 on error. */
static int
split_bounds(PyObject *self, PyObject *sep, Py_ssize_t maxcount, int right, Bounds *b)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(self);
    if (sep == NULL) {
        int kind = PyUnicode_KIND(self);
        const void *data = PyUnicode_DATA(self);
#define SPACE(k) Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, (k)))
        if (!right) {
            Py_ssize_t i = 0, j;
            while (maxcount-- > 0) {
                while (i < n && SPACE(i)) i++;
                if (i == n) break;
                j = i++;
                while (i < n && !SPACE(i)) i++;
                if (bounds_add(b, j, i) < 0) return -1;
            }
            if (i < n) {
                while (i < n && SPACE(i)) i++;
                if (i != n && bounds_add(b, i, n) < 0) return -1;
            }
        }
        else {
            Py_ssize_t i = n - 1, j;
            while (maxcount-- > 0) {
                while (i >= 0 && SPACE(i)) i--;
                if (i < 0) break;
                j = i--;
                while (i >= 0 && !SPACE(i)) i--;
                if (bounds_add(b, i + 1, j + 1) < 0) return -1;
            }
            if (i >= 0) {
                while (i >= 0 && SPACE(i)) i--;
                if (i >= 0 && bounds_add(b, 0, i + 1) < 0) return -1;
            }
        }
#undef SPACE
        return 0;
    }
    Py_ssize_t m = PyUnicode_GET_LENGTH(sep);
    if (!right) {
        Py_ssize_t pos = 0;
        while (maxcount-- > 0) {
            Py_ssize_t i = PyUnicode_Find(self, sep, pos, n, 1);
            if (i == -2) return -1;
            if (i < 0) break;
            if (bounds_add(b, pos, i) < 0) return -1;
            pos = i + m;
        }
        return bounds_add(b, pos, n);
    }
    Py_ssize_t end = n;
    while (maxcount-- > 0) {
        Py_ssize_t i = end >= m ? PyUnicode_Find(self, sep, 0, end, -1) : -1;
        if (i == -2) return -1;
        if (i < 0) break;
        if (bounds_add(b, i + m, end) < 0) return -1;
        end = i;
    }
    return bounds_add(b, 0, end);
}

/* split, rsplit: every piece labelled from where it is in the text. */
static PyObject *
split_pieces(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *sep = nargs > 0 ? args[0] : Py_None, *count = nargs > 1 ? args[1] : NULL;
    if (kwnames != NULL || nargs > 2 || !PyUnicode_IS_READY(self)
        || (sep != Py_None && (!PyUnicode_Check(sep) || PyUnicode_READY(sep) < 0 || PyUnicode_GET_LENGTH(sep) == 0))
        || (count != NULL && !PyLong_CheckExact(count))) {
        return python_kw(method, self, args, nargs, kwnames); /* keywords, other types, its errors */
    }
    Py_ssize_t maxcount = count == NULL ? -1 : PyLong_AsSsize_t(count);
    if (maxcount == -1 && PyErr_Occurred()) {
        return python_kw(method, self, args, nargs, kwnames);
    }
    if (maxcount < 0) {
        maxcount = PY_SSIZE_T_MAX;
    }
    Bounds b = {.n = 0, .cap = 32};
    b.at = b.local;
    int right = method == M_RSPLIT;
    PyObject *out = split_bounds(self, sep == Py_None ? NULL : sep, maxcount, right, &b) < 0 ? NULL : pieces_list(self, &b, right);
    if (b.at != b.local) {
        PyMem_Free(b.at);
    }
    return out != NULL ? out : python_kw(method, self, args, nargs, kwnames);
}

static inline int
is_linebreak(Py_UCS4 ch)
{
    if (ch < 128) { /* \n \v \f \r and \x1c-\x1e, as Py_UNICODE_ISLINEBREAK */
        return (ch >= 10 && ch <= 13) || (ch >= 28 && ch <= 30);
    }
    return Py_UNICODE_ISLINEBREAK(ch);
}

/* splitlines(keepends=False), as stringlib does it. */
static PyObject *
lines(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames != NULL || nargs > 1 || !PyUnicode_IS_READY(self)) {
        return python_kw(method, self, args, nargs, kwnames);
    }
    int keepends = nargs ? PyObject_IsTrue(args[0]) : 0;
    if (keepends < 0 || (nargs && !PyLong_Check(args[0]))) {
        return python_kw(method, self, args, nargs, kwnames);
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(self), i = 0;
    int kind = PyUnicode_KIND(self);
    const void *data = PyUnicode_DATA(self);
    Bounds b = {.n = 0, .cap = 32};
    b.at = b.local;
    int ok = 1;
    while (ok && i < n) {
        Py_ssize_t j = i, eol;
        while (i < n && !is_linebreak(PyUnicode_READ(kind, data, i))) i++;
        eol = i;
        if (i < n) {
            if (PyUnicode_READ(kind, data, i) == '\r' && i + 1 < n && PyUnicode_READ(kind, data, i + 1) == '\n') {
                i += 2;
            }
            else {
                i++;
            }
            if (keepends) {
                eol = i;
            }
        }
        ok = bounds_add(&b, j, eol) == 0;
    }
    PyObject *out = ok ? pieces_list(self, &b, 0) : NULL;
    if (b.at != b.local) {
        PyMem_Free(b.at);
    }
    return out != NULL ? out : python_kw(method, self, args, nargs, kwnames);
}

/* partition, rpartition: the three parts labelled from where they are in the text. */
static PyObject *
three(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames == NULL && nargs == 1 && PyUnicode_Check(args[0]) && PyUnicode_GET_LENGTH(args[0]) > 0) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(self), m = PyUnicode_GET_LENGTH(args[0]);
        Py_ssize_t i = PyUnicode_Find(self, args[0], 0, n, method == M_PARTITION ? 1 : -1);
        if (i >= -1) {
            PyObject *a, *s, *c;
            if (i == -1) {
                a = method == M_PARTITION ? Py_NewRef(self) : Py_NewRef(empty);
                s = Py_NewRef(empty);
                c = method == M_PARTITION ? Py_NewRef(empty) : Py_NewRef(self);
            }
            else {
                a = piece(self, 0, i);
                s = piece(self, i, i + m);
                c = piece(self, i + m, n);
            }
            if (a != NULL && s != NULL && c != NULL) {
                PyObject *out = PyTuple_Pack(3, a, s, c);
                Py_DECREF(a);
                Py_DECREF(s);
                Py_DECREF(c);
                if (out != NULL) {
                    return out;
                }
            }
            else {
                Py_XDECREF(a);
                Py_XDECREF(s);
                Py_XDECREF(c);
            }
        }
    }
    return python_kw(method, self, args, nargs, kwnames);
}

/* `self.replace(old, new[, count])`, the kept parts labelled with `ranges` (those of `self`), each `new`
 * with its own: NULL with no error set when the Python code must decide (other forms, any error). */
static PyObject *
replace_core(PyObject *self, PyObject *ranges, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2 || nargs > 3 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])
        || PyUnicode_READY(self) < 0 || PyUnicode_READY(args[0]) < 0 || PyUnicode_READY(args[1]) < 0
        || PyUnicode_GET_LENGTH(args[0]) == 0 || (nargs == 3 && !PyLong_CheckExact(args[2]))) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *old = args[0], *new = args[1];
    Py_ssize_t left = nargs == 3 ? PyLong_AsSsize_t(args[2]) : -1;
    PyObject *new_ranges = Py_IS_TYPE(new, lstr) ? ranges_of(new) : empty_tuple;
    if ((left == -1 && PyErr_Occurred()) || new_ranges == NULL) {
        PyErr_Clear();
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(self), m = PyUnicode_GET_LENGTH(old), k = PyUnicode_GET_LENGTH(new);
    Py_ssize_t pos = 0, at = 0;
    Bounds found = {.n = 0, .cap = 32}; /* where each replaced occurrence starts (twice: a start, end pair) */
    found.at = found.local;
    Builder b;
    builder_init(&b);
    int ok = 1;
    while (ok && left != 0) {
        Py_ssize_t i = PyUnicode_Find(self, old, pos, n, 1);
        if (i < 0) {
            ok = i == -1;
            break;
        }
        ok = bounds_add(&found, i, i + m) == 0 && builder_add(&b, ranges, pos, i, at) == 0
            && builder_add(&b, new_ranges, 0, k, at + i - pos) == 0;
        at += i - pos + k;
        pos = i + m;
        if (left > 0) {
            left--;
        }
    }
    PyObject *out = NULL, *labels = NULL;
    if (ok && pos == 0) {
        out = Py_NewRef(self); /* nothing replaced: the same text (as str gives itself) */
    }
    else if (ok && builder_add(&b, ranges, pos, n, at) == 0 && (labels = builder_finish(&b)) != NULL) {
#if PY_VERSION_HEX < 0x030C0000
        if (Py_SIZE(labels) && budget.left > 0 && PyUnicode_IS_ASCII(self) && PyUnicode_IS_ASCII(new)) {
            /* written straight into the new LStr (ASCII in, ASCII out: the smallest kind is known) */
            PyObject *obj = raw_lstr(at + n - pos, 127);
            if (obj != NULL) {
                char *dst = PyUnicode_DATA(obj);
                const char *src = PyUnicode_DATA(self), *with = PyUnicode_DATA(new);
                Py_ssize_t from = 0;
                for (Py_ssize_t j = 0; j < found.n; j += 2) {
                    memcpy(dst, src + from, found.at[j] - from);
                    dst += found.at[j] - from;
                    memcpy(dst, with, k);
                    dst += k;
                    from = found.at[j + 1];
                }
                memcpy(dst, src + from, n - from);
                budget.left--;
                *slot_of(obj) = Py_NewRef(labels);
                out = obj;
            }
        }
#endif
        if (out == NULL) {
            PyObject *result = plain_result(M_REPLACE, self, args, nargs);
            out = result == NULL ? NULL : make_labelled(result, labels);
            Py_XDECREF(result);
        }
    }
    Py_XDECREF(labels);
    builder_free(&b);
    if (found.at != found.local) {
        PyMem_Free(found.at);
    }
    if (out == NULL) {
        PyErr_Clear();
    }
    return out;
}

static PyObject *
replaced(int method, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *ranges = kwnames == NULL ? ranges_of(self) : NULL;
    PyObject *out = ranges == NULL ? NULL : replace_core(self, ranges, args, nargs);
    return out != NULL ? out : python_kw(method, self, args, nargs, kwnames);
}

static PyObject *replace_fallback = NULL, *str_fallback = NULL, *format_builtin_fallback = NULL, *format_builtin = NULL;

/* f_format(f, value[, spec]): propagation.f_format, a rewritten `format(x, spec)` of a labelled text. */
static PyObject *
f_format(PyObject *module, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (format_builtin_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "f_format after set_fallbacks()");
        return NULL;
    }
    if ((nargs == 2 || nargs == 3) && (kwnames == NULL || PyTuple_GET_SIZE(kwnames) == 0) && args[0] == format_builtin
        && lstr != NULL && Py_IS_TYPE(args[1], lstr) && (nargs == 2 || PyUnicode_Check(args[2]))) {
        return PyObject_Format(args[1], nargs == 3 ? args[2] : empty); /* LStr.__format__, labelled */
    }
    return PyObject_Vectorcall(format_builtin_fallback, args, nargsf, kwnames);
}

/* f_str(f, *args): propagation.f_str, a rewritten `str(x)` whose argument is not plain. */
static PyObject *
f_str(PyObject *module, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (str_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "f_str after set_fallbacks()");
        return NULL;
    }
    if (nargs == 2 && (kwnames == NULL || PyTuple_GET_SIZE(kwnames) == 0) && args[0] == (PyObject *)&PyUnicode_Type
        && lstr != NULL && Py_IS_TYPE(args[1], lstr)) {
        return Py_NewRef(args[1]); /* str() of labelled text is that text */
    }
    return PyObject_Vectorcall(str_fallback, args, nargsf, kwnames);
}

/* m_replace(receiver, *args): propagation.m_replace (and m_replace_2), `receiver.replace(...)`. */
static PyObject *
m_replace(PyObject *module, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (replace_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "m_replace after set_fallbacks()");
        return NULL;
    }
    if (nargs >= 1 && (kwnames == NULL || PyTuple_GET_SIZE(kwnames) == 0)) {
        PyObject *receiver = args[0];
        if (lstr != NULL && Py_IS_TYPE(receiver, lstr)) {
            return replaced(M_REPLACE, receiver, args + 1, nargs - 1, NULL);
        }
        if (PyUnicode_CheckExact(receiver)) {
            if (nargs >= 3 && lstr != NULL && Py_IS_TYPE(args[2], lstr)) {
                PyObject *out = replace_core(receiver, empty_tuple, args + 1, nargs - 1);
                if (out != NULL) {
                    return out;
                }
            }
            else {
                return call_self(str_method[M_REPLACE], receiver, args + 1, nargs - 1);
            }
        }
    }
    return PyObject_Vectorcall(replace_fallback, args, nargsf, kwnames);
}

/* split_or(fallback, receiver, *args): `receiver.split(*args)` of a labelled receiver, else `fallback`
 * (propagation's m_split helpers, which also serve `re`). */
static PyObject *
split_or(PyObject *module, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs < 2) {
        PyErr_SetString(PyExc_TypeError, "split_or(fallback, receiver, *args)");
        return NULL;
    }
    if (lstr != NULL && Py_IS_TYPE(args[1], lstr)) {
        return split_pieces(M_SPLIT, args[1], args + 2, nargs - 2, kwnames != NULL && PyTuple_GET_SIZE(kwnames) ? kwnames : NULL);
    }
    return PyObject_Vectorcall(args[0], args + 1, nargs - 1, kwnames);
}

/* self * times, times * self. */
static PyObject *
lstr_mul(PyObject *self, PyObject *times)
{
    if (PyLong_CheckExact(times) && Py_IS_TYPE(self, lstr)) {
        Py_ssize_t t = PyLong_AsSsize_t(times), n = PyUnicode_GET_LENGTH(self);
        PyObject *ranges = ranges_of(self);
        if (!(t == -1 && PyErr_Occurred()) && ranges != NULL && (t <= 0 || Py_SIZE(ranges) <= MAX_RANGES / t)) {
            if (t > 0 && n > 0 && n <= PY_SSIZE_T_MAX / t) { /* written straight into a new LStr */
                Builder b;
                builder_init(&b);
                int ok = 1;
                for (Py_ssize_t i = 0; ok && i < t; i++) {
                    ok = builder_add(&b, ranges, 0, n, i * n) == 0;
                }
                PyObject *repeated = ok ? builder_finish(&b) : NULL;
                builder_free(&b);
                PyObject *items[8] = {self, self, self, self, self, self, self, self};
                PyObject *out = repeated != NULL && t <= 8 ? joined_labelled(empty, items, t, repeated) : NULL;
                Py_XDECREF(repeated);
                if (out != NULL) {
                    return out;
                }
                PyErr_Clear();
            }
            PyObject *result = PyUnicode_Type.tp_as_sequence->sq_repeat(self, t < 0 ? 0 : t);
            if (result == NULL) {
                return NULL; /* Python's own error (the text would be too long) */
            }
            Builder b;
            builder_init(&b);
            int ok = 1;
            for (Py_ssize_t i = 0; ok && i < t; i++) {
                ok = builder_add(&b, ranges, 0, n, i * n) == 0;
            }
            PyObject *out = ok ? finish_labelled(&b, result) : NULL;
            builder_free(&b);
            Py_DECREF(result);
            if (out != NULL) {
                return out;
            }
        }
    }
    return python(M_MUL, self, &times, 1);
}

/* ---- labelled bytes ---------------------------------------------------------------------------- */

/* The ranges of LBytes objects by address, read and written as their `_ao` (a `bytes` subclass can hold
 * no slot, and an instance dict per labelled bytes tripled the cost of encode()); an entry goes when
 * its object is freed (lbytes_dealloc). Not seen by the garbage collector, as compact ranges are not
 * (see Compact). Open addressing, linear probing, at most half full. */
typedef struct {
    PyObject *key, *ranges;
} Labelled;

static PyTypeObject *lbytes = NULL; /* labels.LBytes */
static Labelled *table = NULL;
static size_t table_bits = 0, table_used = 0;

static inline size_t
table_home(PyObject *key)
{
    return (size_t)(((uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull) >> (64 - table_bits));
}

/* Where `key` is, or the empty place where it would go. */
static inline size_t
table_find(PyObject *key)
{
    size_t mask = ((size_t)1 << table_bits) - 1, i = table_home(key);
    while (table[i].key != NULL && table[i].key != key) {
        i = (i + 1) & mask;
    }
    return i;
}

/* The ranges of `obj` (borrowed), NULL when it has none. */
static PyObject *
table_get(PyObject *obj)
{
    return table == NULL ? NULL : table[table_find(obj)].ranges;
}

/* Label `obj` with `ranges` (a new reference taken); -1 when out of memory. */
static int
table_put(PyObject *obj, PyObject *ranges)
{
    if (table == NULL || 2 * (table_used + 1) > ((size_t)1 << table_bits)) {
        Labelled *old = table;
        size_t old_size = table == NULL ? 0 : (size_t)1 << table_bits, bits = table == NULL ? 6 : table_bits + 1;
        Labelled *grown = PyMem_Calloc((size_t)1 << bits, sizeof(Labelled));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        table = grown;
        table_bits = bits;
        for (size_t i = 0; i < old_size; i++) {
            if (old[i].key != NULL) {
                table[table_find(old[i].key)] = old[i];
            }
        }
        PyMem_Free(old);
    }
    Labelled *e = &table[table_find(obj)];
    if (e->key == NULL) {
        e->key = obj;
        table_used++;
    }
    Py_XSETREF(e->ranges, Py_NewRef(ranges));
    return 0;
}

/* Take the ranges of `obj` out (the reference is the caller's), NULL when it has none. */
static PyObject *
table_pop(PyObject *obj)
{
    if (table == NULL) {
        return NULL;
    }
    size_t mask = ((size_t)1 << table_bits) - 1, i = table_find(obj);
    PyObject *ranges = table[i].ranges;
    if (ranges == NULL) {
        return NULL;
    }
    table_used--;
    for (size_t j = i;;) { /* close the gap: move back each later entry that its home allows */
        table[i] = (Labelled){NULL, NULL};
        do {
            j = (j + 1) & mask;
            if (table[j].key == NULL) {
                return ranges;
            }
        } while (((j - table_home(table[j].key)) & mask) < ((j - i) & mask));
        table[i] = table[j];
        i = j;
    }
}

/* Free an LBytes: its ranges, then what subtype_dealloc does for it (the type has a __dict__, no slots,
 * no weak references, no finalizer) and what bytes does. A subclass's subtype_dealloc calls this as its
 * base's, leaving the same to it. */
static void
lbytes_dealloc(PyObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject *ranges = table_pop(self);
    PyObject_GC_UnTrack(self);
    PyObject **dict = _PyObject_GetDictPtr(self);
    if (dict != NULL) {
        Py_CLEAR(*dict);
    }
    PyBytes_Type.tp_dealloc(self); /* then LBytes' tp_free */
    Py_DECREF(type);
    Py_XDECREF(ranges);
}

/* LBytes._ao: the ranges in tuple form (compact ranges are converted once, on the first read, as LStr's). */
static PyObject *
lbytes_ao_get(PyObject *self, void *closure)
{
    PyObject *ranges = table_get(self);
    if (ranges == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_ao");
        return NULL;
    }
    if (Py_IS_TYPE(ranges, &CompactType)) {
        PyObject *tuple = compact_tuple((Compact *)ranges);
        if (tuple == NULL || table_put(self, tuple) < 0) {
            Py_XDECREF(tuple);
            return NULL;
        }
        return tuple;
    }
    return Py_NewRef(ranges);
}

static int
lbytes_ao_set(PyObject *self, PyObject *value, void *closure)
{
    if (value != NULL) {
        return table_put(self, value);
    }
    PyObject *ranges = table_pop(self);
    if (ranges == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_ao");
        return -1;
    }
    Py_DECREF(ranges);
    return 0;
}

static PyGetSetDef lbytes_ao_getset = {"_ao", lbytes_ao_get, lbytes_ao_set, "Which bytes came from which calls (ranges.py).", NULL};

/* A new LBytes of `n` bytes copied from `data`, labelled with `ranges`; NULL on error.
 * The budget is the caller's. */
static PyObject *
new_lbytes(const char *data, Py_ssize_t n, PyObject *ranges)
{
#if PY_VERSION_HEX < 0x030D0000
    PyObject *obj = lbytes->tp_alloc(lbytes, n); /* zeroed, as bytes.__new__ allocates a subclass's */
    if (obj != NULL) {
        memcpy(PyBytes_AS_STRING(obj), data, n);
        _Py_COMP_DIAG_PUSH
        _Py_COMP_DIAG_IGNORE_DEPR_DECLS
        ((PyBytesObject *)obj)->ob_shash = -1; /* not hashed yet */
        _Py_COMP_DIAG_POP
    }
#else
    PyObject *value = PyBytes_FromStringAndSize(data, n), *args = value == NULL ? NULL : PyTuple_Pack(1, value);
    PyObject *obj = args == NULL ? NULL : PyBytes_Type.tp_new(lbytes, args, NULL);
    Py_XDECREF(args);
    Py_XDECREF(value);
#endif
    if (obj != NULL && table_put(obj, ranges) < 0) {
        Py_CLEAR(obj);
    }
    return obj;
}

/* The ranges of `self` at the byte offsets of its UTF-8 encoding, as labels._piecewise finds them by
 * encoding each range on its own. */
static PyObject *
utf8_ranges(PyObject *self, PyObject *ranges)
{
    Py_ssize_t n = Py_SIZE(ranges), pos = 0, at = 0;
    int kind = PyUnicode_KIND(self);
    const void *data = PyUnicode_DATA(self);
    Compact *out = (Compact *)compact_from_tuple(ranges);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        for (int k = 0; k < 2; k++) { /* the byte offset of character `start`, then `end` */
            Py_ssize_t *bound = k ? &out->items[i].end : &out->items[i].start;
            for (; pos < *bound; pos++) {
                Py_UCS4 ch = PyUnicode_READ(kind, data, pos);
                at += ch < 0x80 ? 1 : ch < 0x800 ? 2 : ch < 0x10000 ? 3 : 4;
            }
            *bound = at;
        }
    }
    return (PyObject *)out;
}

/* `arg`, an encoding or error handler name, as str.encode takes it (an exact str without NUL; NULL when
 * absent) in `*out`: 0, or -1 when the Python method must decide. */
static int
codec_name(PyObject *arg, const char **out)
{
    Py_ssize_t size;
    *out = NULL;
    if (arg == NULL) {
        return 0;
    }
    if (!PyUnicode_CheckExact(arg) || (*out = PyUnicode_AsUTF8AndSize(arg, &size)) == NULL) {
        return -1;
    }
    return strlen(*out) == (size_t)size ? 0 : -1;
}

/* s.encode(encoding, errors): str's bytes labelled at the same positions when they are as many as the
 * characters (labels._piecewise's rule), else at the UTF-8 offsets of each range for strict UTF-8;
 * anything else (other arguments, other encodings of longer results, errors): the Python method. */
static PyObject *
lstr_encode(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *encoding = nargs > 0 ? args[0] : NULL, *errors = nargs > 1 ? args[1] : NULL;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    int usable = nargs <= 2 && lbytes != NULL && PyUnicode_IS_READY(self) && budget.left > 0;
    for (Py_ssize_t k = 0; usable && k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k), **into = NULL;
        if (PyUnicode_CompareWithASCIIString(name, "encoding") == 0) {
            into = &encoding;
        }
        else if (PyUnicode_CompareWithASCIIString(name, "errors") == 0) {
            into = &errors;
        }
        usable = into != NULL && *into == NULL;
        if (usable) {
            *into = args[nargs + k];
        }
    }
    const char *enc = NULL, *err = NULL;
    PyObject *ranges = usable && codec_name(encoding, &enc) == 0 && codec_name(errors, &err) == 0 ? ranges_of(self) : NULL;
    if (ranges != NULL && Py_SIZE(ranges) == 0) {
        ranges = NULL; /* (unlabelled: plain bytes) */
    }
    int utf8 = enc == NULL || strcmp(enc, "utf-8") == 0 || strcmp(enc, "utf8") == 0;
    PyObject *out = NULL;
    if (ranges != NULL && utf8 && PyUnicode_IS_ASCII(self)) { /* the characters are the bytes */
        out = new_lbytes(PyUnicode_DATA(self), PyUnicode_GET_LENGTH(self), ranges);
    }
    else if (ranges != NULL) {
        PyObject *result = PyUnicode_AsEncodedString(self, enc, err), *mapped = NULL;
        if (result != NULL && PyBytes_CheckExact(result) && PyBytes_GET_SIZE(result) == PyUnicode_GET_LENGTH(self)) {
            mapped = Py_NewRef(ranges);
        }
        else if (result != NULL && PyBytes_CheckExact(result) && utf8 && (err == NULL || strcmp(err, "strict") == 0)) {
            mapped = utf8_ranges(self, ranges);
        }
        out = mapped == NULL ? NULL : new_lbytes(PyBytes_AS_STRING(result), PyBytes_GET_SIZE(result), mapped);
        Py_XDECREF(mapped);
        Py_XDECREF(result);
    }
    if (out != NULL) {
        budget.left--;
        return out;
    }
    return python_kw(M_ENCODE, self, args, nargs, nkw ? kwnames : NULL);
}

/* times * self: as self * times for an int, else the Python method (Python's own error). */
static PyObject *
lstr_rmul(PyObject *self, PyObject *times)
{
    return PyLong_CheckExact(times) ? lstr_mul(self, times) : python(M_RMUL, self, &times, 1);
}

/* str(s), format(s, ""): the labelled text itself. */
static PyObject *
lstr_str(PyObject *self, PyObject *unused)
{
    return Py_NewRef(self);
}

static PyObject *
lstr_format(PyObject *self, PyObject *spec)
{
    if (!PyUnicode_Check(spec)) {
        return python(M_FORMAT, self, &spec, 1);
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(spec);
    if (n == 0) {
        return Py_NewRef(self);
    }
    Py_ssize_t width = 0, i = 0, len = PyUnicode_GET_LENGTH(self);
    Py_UCS4 fill = ' ', align = '<', c1 = n > 1 ? PyUnicode_READ_CHAR(spec, 1) : 0, c0 = PyUnicode_READ_CHAR(spec, 0);
    if (c1 == '<' || c1 == '>' || c1 == '^') {
        fill = c0, align = c1, i = 2;
    }
    else if (c0 == '<' || c0 == '>' || c0 == '^') {
        align = c0, i = 1;
    }
    int simple = i < n && PyUnicode_READ_CHAR(spec, i) != '0';
    for (; simple && i < n; i++) { /* [[fill]align]width[s]: the padding written straight into a new LStr */
        Py_UCS4 c = PyUnicode_READ_CHAR(spec, i);
        if (c >= '0' && c <= '9' && width < 100000000) {
            width = width * 10 + (c - '0');
        }
        else {
            simple = c == 's' && i == n - 1;
        }
    }
    if (simple && width <= len) {
        return Py_NewRef(self);
    }
    if (simple) {
        Py_ssize_t margin = width - len, left = align == '>' ? margin : align == '^' ? margin / 2 : 0;
        PyObject *ranges = ranges_of(self);
        Builder b;
        builder_init(&b);
        PyObject *moved = ranges == NULL || builder_add(&b, ranges, 0, len, left) < 0 ? NULL : builder_finish(&b);
        builder_free(&b);
        PyObject *out = moved == NULL ? NULL : padded_direct(self, left, margin - left, fill, moved);
        Py_XDECREF(moved);
        if (out != NULL) {
            return out;
        }
        PyErr_Clear();
    }
    if (PyUnicode_FindChar(spec, '.', 0, n, 1) == -1) { /* no precision: the whole text, moved by the padding */
        PyObject *result = plain_result(M_FORMAT, self, &spec, 1);
        if (result != NULL) {
            /* where the text is: after the fill of its alignment (checked), else where str.find says */
            Py_ssize_t margin = PyUnicode_GET_LENGTH(result) - PyUnicode_GET_LENGTH(self), at = 0;
            Py_UCS4 align = n > 1 ? PyUnicode_READ_CHAR(spec, 1) : 0, fill = ' ';
            if (align == '<' || align == '>' || align == '^') {
                fill = PyUnicode_READ_CHAR(spec, 0);
            }
            else {
                align = PyUnicode_READ_CHAR(spec, 0);
            }
            at = align == '>' ? margin : align == '^' ? margin / 2 : 0;
            /* (an earlier occurrence, which str.find would give, needs a fill equal to the first character) */
            if (PyUnicode_GET_LENGTH(self) == 0 || fill == PyUnicode_READ_CHAR(self, 0)
                || PyUnicode_Tailmatch(result, self, at, at + PyUnicode_GET_LENGTH(self), -1) != 1) {
                at = PyUnicode_Find(result, self, 0, PyUnicode_GET_LENGTH(result), 1);
            }
            PyObject *out = at < -1 ? NULL : shifted(self, result, at < 0 ? 0 : at);
            Py_DECREF(result);
            if (out != NULL) {
                return out;
            }
        }
    }
    return python(M_FORMAT, self, &spec, 1);
}

/* repr(s): the text moved by the opening quote, when nothing in it was escaped. */
static PyObject *
lstr_repr(PyObject *self, PyObject *unused)
{
    PyObject *result = PyUnicode_Type.tp_repr(self);
    if (result != NULL && PyUnicode_CheckExact(result) && PyUnicode_GET_LENGTH(result) == PyUnicode_GET_LENGTH(self) + 2) {
        PyObject *out = shifted(self, result, 1);
        Py_DECREF(result);
        if (out != NULL) {
            return out;
        }
    }
    else {
        Py_XDECREF(result);
    }
    return python(M_REPR, self, NULL, 0);
}

/* sep.join(items) of a labelled separator, items a list or tuple (other iterables: the Python method). */
static PyObject *
lstr_join(PyObject *self, PyObject *items)
{
    if (PyList_CheckExact(items) || PyTuple_CheckExact(items)) {
        Py_INCREF(items); /* a list could change while joined */
        PyObject *out = join_seq(self, items);
        Py_DECREF(items);
        if (out != NULL) {
            return out;
        }
    }
    return python(M_JOIN, self, &items, 1);
}

/* iter(s): its characters, each labelled from its position. */
typedef struct {
    PyObject_HEAD
    PyObject *text; /* NULL once exhausted */
    Py_ssize_t index;
    Compact *ranges;  /* of a text of several compact ranges: those ranges, walked along */
    Py_ssize_t range; /* the first of them not ending before `index` */
    PyObject *unit;   /* the compact ranges of one character of it, once made */
} CharIter;

static void
chariter_dealloc(CharIter *self)
{
    PyObject_GC_UnTrack(self);
    Py_XDECREF(self->text);
    Py_XDECREF(self->ranges);
    Py_XDECREF(self->unit);
    PyObject_GC_Del(self);
}

/* Character `i` of a text of several ranges: labelled by its range, without the range builder (out of
 * line: the kept characters of a one-range text are the path that must stay short). */
static Py_NO_INLINE PyObject *
ranged_char(CharIter *self, Py_ssize_t i)
{
    Compact *c = self->ranges;
    while (self->range < Py_SIZE(c) && c->items[self->range].end <= i) {
        self->range++;
        Py_CLEAR(self->unit);
    }
    if (self->range == Py_SIZE(c) || i < c->items[self->range].start) {
        return PyUnicode_Substring(self->text, i, i + 1); /* unlabelled */
    }
    if (self->unit == NULL) {
        Compact *unit = compact_new(1);
        if (unit == NULL) {
            return NULL;
        }
        unit->items[0] = (Range){0, 1, Py_NewRef(c->items[self->range].origins)};
        self->unit = (PyObject *)unit;
    }
    return new_char(PyUnicode_READ_CHAR(self->text, i), self->unit);
}

static int
chariter_traverse(CharIter *self, visitproc visit, void *arg)
{
    Py_VISIT(self->text);
    return 0;
}

static PyObject *
chariter_next(CharIter *self)
{
    PyObject *text = self->text;
    if (text == NULL) {
        return NULL;
    }
    Py_ssize_t i = self->index;
    if (i >= PyUnicode_GET_LENGTH(text)) {
        Py_CLEAR(self->text);
        return NULL;
    }
    self->index = i + 1;
    Compact *ranges = (Compact *)*slot_of(text);
    if (ranges != NULL && Py_IS_TYPE(ranges, &CompactType) && ranges->chars != NULL && budget.left > 0
        && ranges->unit != NULL && ranges->items[0].start <= i && i < ranges->items[0].end) { /* one range */
        Py_UCS4 ch = PyUnicode_READ(PyUnicode_KIND(text), PyUnicode_DATA(text), i);
        if (ch < CACHED_CHARS) {
            PyObject *obj = ranges->chars[ch];
            if (obj != NULL) {
                return Py_NewRef(obj);
            }
        }
    }
    PyObject *out = self->ranges != NULL && budget.left > 0 ? ranged_char(self, i) : labelled_sub(text, i, i + 1);
    if (out == NULL) { /* fail open: the plain character */
        PyErr_Clear();
        out = PyUnicode_Substring(text, i, i + 1);
    }
    return out;
}

static PyObject *
chariter_length_hint(CharIter *self, PyObject *unused)
{
    Py_ssize_t n = self->text == NULL ? 0 : PyUnicode_GET_LENGTH(self->text) - self->index;
    return PyLong_FromSsize_t(n);
}

static PyMethodDef chariter_methods[] = {
    {"__length_hint__", (PyCFunction)chariter_length_hint, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CharIterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "str_iterator",
    .tp_basicsize = sizeof(CharIter),
    .tp_dealloc = (destructor)chariter_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)chariter_traverse,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)chariter_next,
    .tp_methods = chariter_methods,
};

/* iter(s) (LStr's tp_iter): a one-range text keeps its ASCII characters from then on (cached_char). */
static PyObject *
lstr_iter_slot(PyObject *self)
{
    if (!PyUnicode_IS_READY(self)) {
        return python(M_ITER, self, NULL, 0);
    }
    Compact *ranges = (Compact *)*slot_of(self);
    if (ranges != NULL && Py_IS_TYPE(ranges, &CompactType) && Py_SIZE(ranges) == 1 && ranges->chars == NULL
        && tables_kept < TABLES_KEPT && (ranges->chars = PyMem_Calloc(CACHED_CHARS, sizeof(PyObject *))) != NULL) {
        tables_kept++; /* (else fresh characters) */
    }
    CharIter *it = PyObject_GC_New(CharIter, &CharIterType);
    if (it == NULL) {
        return NULL;
    }
    it->text = Py_NewRef(self);
    it->index = 0;
    it->ranges = ranges != NULL && Py_IS_TYPE(ranges, &CompactType) && Py_SIZE(ranges) > 1 ? (Compact *)Py_NewRef(ranges) : NULL;
    it->range = 0;
    it->unit = NULL;
    PyObject_GC_Track(it);
    return (PyObject *)it;
}

static PyObject *
lstr_iter(PyObject *self, PyObject *unused)
{
    return lstr_iter_slot(self);
}

#define KW_METHOD(fname, kind, m)                                                                   \
    static PyObject *fname(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) \
    {                                                                                               \
        return kind(m, self, args, nargs, kwnames != NULL && PyTuple_GET_SIZE(kwnames) ? kwnames : NULL); \
    }
KW_METHOD(lstr_upper, same_positions, M_UPPER)
KW_METHOD(lstr_lower, same_positions, M_LOWER)
KW_METHOD(lstr_casefold, same_positions, M_CASEFOLD)
KW_METHOD(lstr_swapcase, same_positions, M_SWAPCASE)
KW_METHOD(lstr_title, same_positions, M_TITLE)
KW_METHOD(lstr_capitalize, same_positions, M_CAPITALIZE)
KW_METHOD(lstr_expandtabs, same_positions, M_EXPANDTABS)
KW_METHOD(lstr_translate, same_positions, M_TRANSLATE)
KW_METHOD(lstr_ljust, padded, M_LJUST)
KW_METHOD(lstr_rjust, padded, M_RJUST)
KW_METHOD(lstr_center, padded, M_CENTER)
KW_METHOD(lstr_zfill, padded, M_ZFILL)
KW_METHOD(lstr_removeprefix, removed, M_REMOVEPREFIX)
KW_METHOD(lstr_removesuffix, removed, M_REMOVESUFFIX)
KW_METHOD(lstr_split, split_pieces, M_SPLIT)
KW_METHOD(lstr_rsplit, split_pieces, M_RSPLIT)
KW_METHOD(lstr_splitlines, lines, M_SPLITLINES)
KW_METHOD(lstr_partition, three, M_PARTITION)
KW_METHOD(lstr_rpartition, three, M_RPARTITION)
KW_METHOD(lstr_replace, replaced, M_REPLACE)
#undef KW_METHOD

/* ---- %-formatting and str.format of the common forms (issue 14) ---------------------------------- */

/* The pieces concatenated, labelled from those that are LStr. NULL with an error on failure. */
static PyObject *
assemble(PyObject *const *parts, Py_ssize_t made)
{
    int any = 0;
    for (Py_ssize_t i = 0; i < made; i++) {
        any |= Py_IS_TYPE(parts[i], lstr);
    }
    if (!any) {
        return _PyUnicode_JoinArray(empty, parts, made);
    }
    Builder b;
    builder_init(&b);
    Py_ssize_t pos = 0;
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < made; i++) {
        if (Py_IS_TYPE(parts[i], lstr)) {
            PyObject *ranges = ranges_of(parts[i]);
            ok = ranges != NULL && builder_add(&b, ranges, 0, PY_SSIZE_T_MAX, pos) == 0;
        }
        pos += PyUnicode_GET_LENGTH(parts[i]);
    }
    PyObject *ranges = ok ? builder_finish(&b) : NULL;
    builder_free(&b);
    if (ranges == NULL) {
        return NULL;
    }
    PyObject *out = joined_labelled(empty, parts, made, ranges);
    Py_DECREF(ranges);
    return out;
}

/* Pieces being collected. */
typedef struct {
    PyObject **items;
    Py_ssize_t n, cap;
    PyObject *local[24];
} Parts;

static int
parts_add(Parts *p, PyObject *item) /* steals `item`; fails on NULL */
{
    if (item == NULL) {
        return -1;
    }
    if (p->n == p->cap) {
        Py_ssize_t cap = p->cap * 2;
        PyObject **items = PyMem_Malloc(cap * sizeof(PyObject *));
        if (items == NULL) {
            Py_DECREF(item);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(items, p->items, p->n * sizeof(PyObject *));
        if (p->items != p->local) {
            PyMem_Free(p->items);
        }
        p->items = items;
        p->cap = cap;
    }
    p->items[p->n++] = item;
    return 0;
}

static void
parts_free(Parts *p)
{
    for (Py_ssize_t i = 0; i < p->n; i++) {
        Py_DECREF(p->items[i]);
    }
    if (p->items != p->local) {
        PyMem_Free(p->items);
    }
}

/* template[start:end] as a piece: labelled from a labelled template. */
static PyObject *
literal(PyObject *template, Py_ssize_t start, Py_ssize_t end)
{
    return Py_IS_TYPE(template, lstr) ? piece(template, start, end) : PyUnicode_Substring(template, start, end);
}

/* A field's value shown without conversion or spec: a text itself, a plain int or float as str()
 * shows it (which is what format(v, "") and %s / %d give); NULL without an error for anything else. */
static PyObject *
shown_plainly(PyObject *value)
{
    if (PyUnicode_CheckExact(value) || Py_IS_TYPE(value, lstr)) {
        return Py_NewRef(value);
    }
    if (PyLong_CheckExact(value) || PyFloat_CheckExact(value)) {
        return PyObject_Str(value);
    }
    return NULL;
}

/* `template % args` for `%s`, `%d`, `%i` (no flags, width, precision or keys) and `%%` (in a plain
 * template): NULL, with no error set, for any other form or any error (the Python code decides). */
static PyObject *
percent_fast(PyObject *template, PyObject *args)
{
    PyObject *const *values = &args;
    Py_ssize_t nvalues = 1, k = 0;
    if (PyTuple_CheckExact(args)) {
        values = &PyTuple_GET_ITEM(args, 0);
        nvalues = PyTuple_GET_SIZE(args);
    }
    else if (!PyUnicode_CheckExact(args) && !Py_IS_TYPE(args, lstr) && !PyLong_CheckExact(args) && !PyFloat_CheckExact(args)) {
        return NULL;
    }
    if (PyUnicode_READY(template) < 0) {
        PyErr_Clear();
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(template), cursor = 0;
    int kind = PyUnicode_KIND(template);
    const void *data = PyUnicode_DATA(template);
    Parts p = {.n = 0, .cap = 24};
    p.items = p.local;
    PyObject *out = NULL;
    for (;;) {
        Py_ssize_t i = PyUnicode_FindChar(template, '%', cursor, n, 1);
        if (i == -2) {
            goto done;
        }
        Py_ssize_t stop = i < 0 ? n : i;
        if (stop > cursor && parts_add(&p, literal(template, cursor, stop)) < 0) {
            goto done;
        }
        if (i < 0) {
            break;
        }
        if (i + 1 >= n) {
            goto done;
        }
        Py_UCS4 c = PyUnicode_READ(kind, data, i + 1);
        cursor = i + 2;
        if (c == '%') {
            if (Py_IS_TYPE(template, lstr) || parts_add(&p, PyUnicode_Substring(template, i + 1, i + 2)) < 0) {
                goto done;
            }
            continue;
        }
        if ((c != 's' && c != 'd' && c != 'i') || k >= nvalues) {
            goto done;
        }
        PyObject *value = values[k++];
        if (c != 's' && !PyLong_CheckExact(value)) {
            goto done;
        }
        if (parts_add(&p, shown_plainly(value)) < 0) {
            goto done;
        }
    }
    if (k == nvalues) {
        out = assemble(p.items, p.n);
    }
done:
    parts_free(&p);
    if (out == NULL) {
        PyErr_Clear();
    }
    return out;
}

/* `template.format(...)` / `format_map(mapping)` for fields `{}`, `{0}` and `{name}` (no conversion,
 * spec, attribute or index) and `{{`/`}}` in a plain template. Names are looked up in `mapping` (an
 * exact dict) or among the keyword arguments. NULL, with no error set, for anything else. */
static PyObject *
format_fast(PyObject *template, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject *mapping)
{
    if (PyUnicode_READY(template) < 0) {
        PyErr_Clear();
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(template), cursor = 0, i = 0, next_auto = 0;
    int kind = PyUnicode_KIND(template), numbering = 0; /* 1 automatic, 2 manual */
    const void *data = PyUnicode_DATA(template);
    Parts p = {.n = 0, .cap = 24};
    p.items = p.local;
    PyObject *out = NULL;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c != '{' && c != '}') {
            i++;
            continue;
        }
        if (i > cursor && parts_add(&p, literal(template, cursor, i)) < 0) {
            goto done;
        }
        if (i + 1 < n && PyUnicode_READ(kind, data, i + 1) == c) { /* {{ or }} */
            if (Py_IS_TYPE(template, lstr) || parts_add(&p, PyUnicode_Substring(template, i, i + 1)) < 0) {
                goto done;
            }
            i = cursor = i + 2;
            continue;
        }
        if (c == '}') {
            goto done; /* a single '}': Python's error */
        }
        Py_ssize_t j = i + 1, index = 0;
        int digits = 1;
        while (j < n) {
            Py_UCS4 d = PyUnicode_READ(kind, data, j);
            if (d == '}') {
                break;
            }
            if (d == '!' || d == ':' || d == '[' || d == '.' || d == '{') {
                goto done;
            }
            if (d >= '0' && d <= '9' && digits) {
                if (index > 100000) {
                    goto done;
                }
                index = index * 10 + (d - '0');
            }
            else {
                digits = 0;
            }
            j++;
        }
        if (j >= n) {
            goto done;
        }
        PyObject *value = NULL;
        if (j == i + 1 || digits) {
            if (j == i + 1) {
                if (numbering == 2) {
                    goto done;
                }
                numbering = 1;
                index = next_auto++;
            }
            else {
                if (numbering == 1) {
                    goto done;
                }
                numbering = 2;
            }
            if (mapping != NULL || index >= nargs) {
                goto done;
            }
            value = args[index];
        }
        else {
            PyObject *name = PyUnicode_Substring(template, i + 1, j);
            if (name == NULL) {
                goto done;
            }
            if (mapping != NULL) {
                value = PyDict_GetItemWithError(mapping, name); /* borrowed */
            }
            else if (kwnames != NULL) {
                for (Py_ssize_t w = 0; w < PyTuple_GET_SIZE(kwnames); w++) {
                    int eq = PyUnicode_Compare(PyTuple_GET_ITEM(kwnames, w), name);
                    if (eq == 0) {
                        value = args[nargs + w];
                        break;
                    }
                }
            }
            Py_DECREF(name);
            if (value == NULL) {
                goto done;
            }
        }
        if (parts_add(&p, shown_plainly(value)) < 0) {
            goto done;
        }
        i = cursor = j + 1;
    }
    if (n > cursor && parts_add(&p, literal(template, cursor, n)) < 0) {
        goto done;
    }
    out = assemble(p.items, p.n);
done:
    parts_free(&p);
    if (out == NULL) {
        PyErr_Clear();
    }
    return out;
}

static PyObject *mod_fallback = NULL, *format_fallback = NULL, *format_map_fallback = NULL;

/* mod(left, right): propagation.mod, `left % right` of a rewritten site. */
static PyObject *
mod(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || mod_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "mod(left, right) after set_fallbacks()");
        return NULL;
    }
    if (PyUnicode_CheckExact(args[0]) || (lstr != NULL && Py_IS_TYPE(args[0], lstr))) {
        PyObject *out = percent_fast(args[0], args[1]);
        if (out != NULL) {
            return out;
        }
    }
    return PyObject_Vectorcall(mod_fallback, args, nargs, NULL);
}

/* m_format(receiver, *args, **kwargs): propagation.m_format, `receiver.format(...)`. */
static PyObject *
m_format(PyObject *module, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (format_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "m_format after set_fallbacks()");
        return NULL;
    }
    if (nargs >= 1 && (PyUnicode_CheckExact(args[0]) || (lstr != NULL && Py_IS_TYPE(args[0], lstr)))) {
        PyObject *out = format_fast(args[0], args + 1, nargs - 1, kwnames != NULL && PyTuple_GET_SIZE(kwnames) ? kwnames : NULL, NULL);
        if (out != NULL) {
            return out;
        }
    }
    return PyObject_Vectorcall(format_fallback, args, nargsf, kwnames);
}

/* m_format_map(receiver, mapping): propagation.m_format_map, `receiver.format_map(mapping)`. */
static PyObject *
m_format_map(PyObject *module, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (format_map_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "m_format_map after set_fallbacks()");
        return NULL;
    }
    if (nargs == 2 && (kwnames == NULL || PyTuple_GET_SIZE(kwnames) == 0) && PyDict_CheckExact(args[1])
        && (PyUnicode_CheckExact(args[0]) || (lstr != NULL && Py_IS_TYPE(args[0], lstr)))) {
        PyObject *out = format_fast(args[0], NULL, 0, NULL, args[1]);
        if (out != NULL) {
            return out;
        }
    }
    return PyObject_Vectorcall(format_map_fallback, args, nargsf, kwnames);
}

/* LStr.__mod__, LStr.format, LStr.format_map. */
static PyObject *
lstr_mod(PyObject *self, PyObject *args)
{
    PyObject *out = Py_IS_TYPE(self, lstr) ? percent_fast(self, args) : NULL;
    return out != NULL ? out : python(M_MOD, self, &args, 1);
}

static PyObject *
lstr_format_method(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    kwnames = kwnames != NULL && PyTuple_GET_SIZE(kwnames) ? kwnames : NULL;
    PyObject *out = format_fast(self, args, nargs, kwnames, NULL);
    return out != NULL ? out : python_kw(M_FORMAT_METHOD, self, args, nargs, kwnames);
}

static PyObject *
lstr_format_map(PyObject *self, PyObject *mapping)
{
    PyObject *out = PyDict_CheckExact(mapping) ? format_fast(self, NULL, 0, NULL, mapping) : NULL;
    return out != NULL ? out : python(M_FORMAT_MAP, self, &mapping, 1);
}

/* The slots of `+`, `*` and `[]` (what the interpreter calls), without looking up `__add__`, `__radd__`,
 * `__mul__` or `__getitem__` first as the slots Python gives a class do. */
static PyObject *
lstr_nb_add(PyObject *left, PyObject *right)
{
    if (Py_IS_TYPE(left, lstr)) {
        return lstr_add(left, right);
    }
    if (Py_IS_TYPE(right, lstr)) {
        return lstr_radd(right, left);
    }
    Py_RETURN_NOTIMPLEMENTED;
}

static PyObject *
lstr_nb_mul(PyObject *left, PyObject *right)
{
    if (Py_IS_TYPE(left, lstr)) {
        return lstr_mul(left, right);
    }
    if (Py_IS_TYPE(right, lstr)) {
        return lstr_rmul(right, left);
    }
    Py_RETURN_NOTIMPLEMENTED;
}

static PyMethodDef lstr_methods[M_COUNT] = {
    [M_GETITEM] = {"__getitem__", (PyCFunction)lstr_getitem, METH_O, NULL},
    [M_ADD] = {"__add__", (PyCFunction)lstr_add, METH_O, NULL},
    [M_RADD] = {"__radd__", (PyCFunction)lstr_radd, METH_O, NULL},
    [M_STRIP] = {"strip", (PyCFunction)(void (*)(void))lstr_strip, METH_FASTCALL, NULL},
    [M_LSTRIP] = {"lstrip", (PyCFunction)(void (*)(void))lstr_lstrip, METH_FASTCALL, NULL},
    [M_RSTRIP] = {"rstrip", (PyCFunction)(void (*)(void))lstr_rstrip, METH_FASTCALL, NULL},
    [M_UPPER] = {"upper", (PyCFunction)(void (*)(void))lstr_upper, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_LOWER] = {"lower", (PyCFunction)(void (*)(void))lstr_lower, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_CASEFOLD] = {"casefold", (PyCFunction)(void (*)(void))lstr_casefold, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_SWAPCASE] = {"swapcase", (PyCFunction)(void (*)(void))lstr_swapcase, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_TITLE] = {"title", (PyCFunction)(void (*)(void))lstr_title, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_CAPITALIZE] = {"capitalize", (PyCFunction)(void (*)(void))lstr_capitalize, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_EXPANDTABS] = {"expandtabs", (PyCFunction)(void (*)(void))lstr_expandtabs, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_TRANSLATE] = {"translate", (PyCFunction)(void (*)(void))lstr_translate, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_LJUST] = {"ljust", (PyCFunction)(void (*)(void))lstr_ljust, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_RJUST] = {"rjust", (PyCFunction)(void (*)(void))lstr_rjust, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_CENTER] = {"center", (PyCFunction)(void (*)(void))lstr_center, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_ZFILL] = {"zfill", (PyCFunction)(void (*)(void))lstr_zfill, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_REMOVEPREFIX] = {"removeprefix", (PyCFunction)(void (*)(void))lstr_removeprefix, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_REMOVESUFFIX] = {"removesuffix", (PyCFunction)(void (*)(void))lstr_removesuffix, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_SPLIT] = {"split", (PyCFunction)(void (*)(void))lstr_split, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_RSPLIT] = {"rsplit", (PyCFunction)(void (*)(void))lstr_rsplit, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_SPLITLINES] = {"splitlines", (PyCFunction)(void (*)(void))lstr_splitlines, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_PARTITION] = {"partition", (PyCFunction)(void (*)(void))lstr_partition, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_RPARTITION] = {"rpartition", (PyCFunction)(void (*)(void))lstr_rpartition, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_REPLACE] = {"replace", (PyCFunction)(void (*)(void))lstr_replace, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_MUL] = {"__mul__", (PyCFunction)lstr_mul, METH_O, NULL},
    [M_RMUL] = {"__rmul__", (PyCFunction)lstr_rmul, METH_O, NULL},
    [M_STR] = {"__str__", (PyCFunction)lstr_str, METH_NOARGS, NULL},
    [M_FORMAT] = {"__format__", (PyCFunction)lstr_format, METH_O, NULL},
    [M_ITER] = {"__iter__", (PyCFunction)lstr_iter, METH_NOARGS, NULL},
    [M_MOD] = {"__mod__", (PyCFunction)lstr_mod, METH_O, NULL},
    [M_FORMAT_METHOD] = {"format", (PyCFunction)(void (*)(void))lstr_format_method, METH_FASTCALL | METH_KEYWORDS, NULL},
    [M_FORMAT_MAP] = {"format_map", (PyCFunction)lstr_format_map, METH_O, NULL},
    [M_JOIN] = {"join", (PyCFunction)lstr_join, METH_O, NULL},
    [M_REPR] = {"__repr__", (PyCFunction)lstr_repr, METH_NOARGS, NULL},
    [M_ENCODE] = {"encode", (PyCFunction)(void (*)(void))lstr_encode, METH_FASTCALL | METH_KEYWORDS, NULL},
};

/* ---- rewritten sites ----------------------------------------------------------------------------- */

/* `receiver.join(seq)`, receiver an exact str or an LStr, seq a list or tuple: labelled from the items and
 * the separator; NULL (an error set or not) when the Python code must decide. */
static PyObject *
join_seq(PyObject *receiver, PyObject *seq)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **values = PySequence_Fast_ITEMS(seq);
    PyObject *sep_ranges = Py_IS_TYPE(receiver, lstr) && n > 1 ? ranges_of(receiver) : NULL;
    int labelled = sep_ranges != NULL;
    if (Py_IS_TYPE(receiver, lstr) && n > 1 && sep_ranges == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (Py_IS_TYPE(values[i], lstr)) {
            labelled = 1;
        }
        else if (!PyUnicode_CheckExact(values[i])) {
            return NULL;
        }
    }
    if (!labelled) {
        return PyUnicode_Join(receiver, seq);
    }
    Builder b;
    builder_init(&b);
    Py_ssize_t pos = 0, step = PyUnicode_GET_LENGTH(receiver);
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        if (i) {
            ok = sep_ranges == NULL || builder_add(&b, sep_ranges, 0, PY_SSIZE_T_MAX, pos) == 0;
            pos += step;
        }
        if (ok && Py_IS_TYPE(values[i], lstr)) {
            PyObject *ranges = ranges_of(values[i]);
            ok = ranges != NULL && builder_add(&b, ranges, 0, PY_SSIZE_T_MAX, pos) == 0;
        }
        pos += PyUnicode_GET_LENGTH(values[i]);
    }
    PyObject *ranges = ok ? builder_finish(&b) : NULL;
    builder_free(&b);
    if (ranges == NULL) {
        return NULL;
    }
    PyObject *out = joined_labelled(receiver, values, n, ranges);
    Py_DECREF(ranges);
    return out;
}

/* join1(receiver, items): `receiver.join(items)` (propagation.join_items). */
static PyObject *
join1(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || join_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "join1(receiver, items) after set_fallbacks()");
        return NULL;
    }
    PyObject *receiver = args[0], *items = args[1];
    if (!PyUnicode_CheckExact(receiver) && !(lstr != NULL && Py_IS_TYPE(receiver, lstr))) {
        return PyObject_Vectorcall(join_fallback, args, 2, NULL);
    }
    PyObject *seq; /* a list or tuple of the items (the iterable is consumed once, here) */
    if (PyList_CheckExact(items) || PyTuple_CheckExact(items)) {
        seq = Py_NewRef(items);
    }
    else if ((seq = PySequence_List(items)) == NULL) {
        return NULL;
    }
    PyObject *out = join_seq(receiver, seq);
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
        else if (Py_IS_TYPE(value, lstr) && (conversion == -1 || conversion == 's' || conversion == 'r')
                 && (spec == NULL || PyUnicode_CheckExact(spec))) {
            /* repr() and format() of labelled text, in C (LStr's methods) */
            PyObject *shown = conversion == 'r' ? PyObject_Repr(value) : Py_NewRef(value);
            piece = shown == NULL ? NULL : PyObject_Format(shown, spec == NULL ? empty : spec);
            Py_XDECREF(shown);
            if (piece == NULL) {
                goto done;
            }
            if (!PyUnicode_CheckExact(piece) && !Py_IS_TYPE(piece, lstr)) {
                Py_DECREF(piece);
                goto done;
            }
            any_labelled |= Py_IS_TYPE(piece, lstr);
        }
        else {
            goto done; /* labelled specs, other conversions and types: the Python path */
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

/* Tuple-form ranges as compact ranges (which every later operation reads without converting ints);
 * compact ones copied. */
static PyObject *
compact_from_tuple(PyObject *ranges)
{
    Py_ssize_t n = Py_SIZE(ranges);
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

/* install(LStr, LBytes, coarse): set up, put the C methods on LStr and the C `_ao` on LBytes (once). */
static PyObject *
install(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyType_Check(args[0]) || !PyType_IsSubtype((PyTypeObject *)args[0], &PyUnicode_Type)
        || !PyType_Check(args[1]) || !PyType_IsSubtype((PyTypeObject *)args[1], &PyBytes_Type)) {
        PyErr_SetString(PyExc_TypeError, "install(LStr, LBytes, coarse)");
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
        PyObject *plain = PyObject_HasAttrString((PyObject *)&PyUnicode_Type, name)
            ? PyObject_GetAttrString((PyObject *)&PyUnicode_Type, name) : Py_NewRef(Py_None);
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
    if (type->tp_as_number != NULL && type->tp_as_mapping != NULL) {
        type->tp_as_number->nb_add = lstr_nb_add;
        type->tp_as_number->nb_multiply = lstr_nb_mul;
        type->tp_as_mapping->mp_subscript = lstr_getitem;
    }
    type->tp_iter = lstr_iter_slot;
    PyObject *getset = PyDescr_NewGetSet(type, &ao_getset);
    if (getset == NULL || PyObject_SetAttrString(args[0], "_ao", getset) < 0) {
        Py_XDECREF(getset);
        return NULL;
    }
    Py_DECREF(getset);
    lstr = (PyTypeObject *)Py_NewRef(args[0]);
    coarse = Py_NewRef(args[2]);
    PyTypeObject *bytes_type = (PyTypeObject *)args[1];
    if (bytes_type->tp_dictoffset < 0 && bytes_type->tp_weaklistoffset == 0 && bytes_type->tp_finalize == NULL
        && bytes_type->tp_del == NULL && bytes_type->tp_base == &PyBytes_Type) { /* (else `_ao` stays in the dict) */
        getset = PyDescr_NewGetSet(bytes_type, &lbytes_ao_getset);
        if (getset == NULL || PyObject_SetAttrString(args[1], "_ao", getset) < 0) {
            Py_XDECREF(getset);
            return NULL;
        }
        Py_DECREF(getset);
        bytes_type->tp_dealloc = lbytes_dealloc;
        lbytes = (PyTypeObject *)Py_NewRef(args[1]);
    }
#if PY_VERSION_HEX < 0x030C0000
    if (type->tp_dictoffset == 0 && type->tp_weaklistoffset == 0 && type->tp_finalize == NULL && type->tp_del == NULL
        && type->tp_base == &PyUnicode_Type && type->tp_basicsize == (Py_ssize_t)(ao_offset + sizeof(PyObject *))) {
        type->tp_dealloc = lstr_dealloc;
    }
#endif
    Py_RETURN_NONE;
}

/* set_fallbacks(join_items, fs, mod, m_format, m_format_map, m_replace, f_str, f_format, builtins.format): the Python functions the C ones replace. */
static PyObject *
set_fallbacks(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "set_fallbacks(join_items, fs, mod, m_format, m_format_map, m_replace, f_str, f_format, format)");
        return NULL;
    }
    Py_XSETREF(format_builtin_fallback, Py_NewRef(args[7]));
    Py_XSETREF(format_builtin, Py_NewRef(args[8]));
    Py_XSETREF(str_fallback, Py_NewRef(args[6]));
    Py_XSETREF(replace_fallback, Py_NewRef(args[5]));
    Py_XSETREF(join_fallback, Py_NewRef(args[0]));
    Py_XSETREF(fs_fallback, Py_NewRef(args[1]));
    Py_XSETREF(mod_fallback, Py_NewRef(args[2]));
    Py_XSETREF(format_fallback, Py_NewRef(args[3]));
    Py_XSETREF(format_map_fallback, Py_NewRef(args[4]));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"install", (PyCFunction)(void (*)(void))install, METH_FASTCALL, "Set up, and put the C methods on LStr."},
    {"set_fallbacks", (PyCFunction)(void (*)(void))set_fallbacks, METH_FASTCALL, "The Python functions the C ones replace."},
    {"labelled", (PyCFunction)(void (*)(void))labelled, METH_FASTCALL, "labels._str(value, ranges) in C."},
    {"join1", (PyCFunction)(void (*)(void))join1, METH_FASTCALL, "receiver.join(items), labelled."},
    {"fs", (PyCFunction)(void (*)(void))fs, METH_FASTCALL, "A rewritten f-string, labelled."},
    {"f_format", (PyCFunction)(void (*)(void))f_format, METH_FASTCALL | METH_KEYWORDS, "format(x, spec) of a rewritten site, labelled."},
    {"f_str", (PyCFunction)(void (*)(void))f_str, METH_FASTCALL | METH_KEYWORDS, "str(x) of a rewritten site, labelled."},
    {"m_replace", (PyCFunction)(void (*)(void))m_replace, METH_FASTCALL | METH_KEYWORDS, "receiver.replace(...), labelled."},
    {"split_or", (PyCFunction)(void (*)(void))split_or, METH_FASTCALL | METH_KEYWORDS, "receiver.split(...) of a labelled receiver, else fallback(receiver, ...)."},
    {"mod", (PyCFunction)(void (*)(void))mod, METH_FASTCALL, "left % right of a rewritten site, labelled."},
    {"m_format", (PyCFunction)(void (*)(void))m_format, METH_FASTCALL | METH_KEYWORDS, "receiver.format(...), labelled."},
    {"m_format_map", (PyCFunction)(void (*)(void))m_format_map, METH_FASTCALL | METH_KEYWORDS, "receiver.format_map(mapping), labelled."},
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
    if (empty == NULL || empty_tuple == NULL || no_conversion == NULL || PyType_Ready(&CompactType) < 0 || PyType_Ready(&CharIterType) < 0 || PyType_Ready(&BudgetType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddObjectRef(m, "budget", (PyObject *)&budget) < 0) {
        Py_CLEAR(m);
    }
    return m;
}
