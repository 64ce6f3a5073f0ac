/* Optional C fast paths for origin tracking's unlabelled path (pure-Python equivalents in propagation.py).
 *
 * join1(receiver, items): `receiver.join(items)` when the receiver is an exact str and the items a list
 * or tuple of exact strs (nothing can carry a label); otherwise the Python function given once to
 * set_join_fallback(fallback) decides.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *join_fallback = NULL;

static PyObject *
set_join_fallback(PyObject *module, PyObject *fallback)
{
    Py_XSETREF(join_fallback, Py_NewRef(fallback));
    Py_RETURN_NONE;
}

static PyObject *
join1(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || join_fallback == NULL) {
        PyErr_SetString(PyExc_TypeError, "join1(receiver, items) after set_join_fallback(fallback)");
        return NULL;
    }
    PyObject *receiver = args[0], *items = args[1];
    if (PyUnicode_CheckExact(receiver) && (PyList_CheckExact(items) || PyTuple_CheckExact(items))) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(items);
        PyObject **values = PySequence_Fast_ITEMS(items);
        Py_ssize_t i;
        for (i = 0; i < n; i++) {
            if (!PyUnicode_CheckExact(values[i])) {
                break;
            }
        }
        if (i == n) {
            return PyUnicode_Join(receiver, items);
        }
    }
    return PyObject_Vectorcall(join_fallback, args, 2, NULL);
}

static PyMethodDef methods[] = {
    {"join1", (PyCFunction)(void (*)(void))join1, METH_FASTCALL, "receiver.join(items) when nothing is labelled."},
    {"set_join_fallback", set_join_fallback, METH_O, "The function join1 calls when its fast path does not apply."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "Optional C fast paths for origin tracking.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
