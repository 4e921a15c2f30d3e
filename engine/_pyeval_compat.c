/* orderdoctor's compatibility shim for durable-rules on Python 3.13 and newer.
 *
 * durable-rules 2.0.28 (the newest release, sdist-only) calls PyEval_CallObject,
 * which older Python headers defined as a macro over PyEval_CallObjectWithKeywords.
 * Python 3.13 dropped the macro, so its compiled extension is left with an undefined
 * symbol and fails to import ("undefined symbol: PyEval_CallObject"). This module
 * exports that one function, with the old meaning (call with a tuple of positional
 * arguments, or NULL for none); orderdoctor.engine._durable loads it with RTLD_GLOBAL
 * before importing durable_rules_engine, so the dynamic linker resolves durable's
 * reference to it. Built by setup.py on Python >= 3.13 only.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef PyEval_CallObject
#undef PyEval_CallObject
#endif

#if defined(__GNUC__)
#define OD_EXPORT __attribute__((visibility("default")))
#else
#define OD_EXPORT
#endif

OD_EXPORT PyObject *PyEval_CallObject(PyObject *callable, PyObject *args);

OD_EXPORT PyObject *
PyEval_CallObject(PyObject *callable, PyObject *args)
{
    if (args != NULL && !PyTuple_Check(args)) {
        PyErr_SetString(PyExc_TypeError, "argument list must be a tuple");
        return NULL;
    }
    return PyObject_CallObject(callable, args);
}

static struct PyModuleDef pyeval_compat_module = {
    PyModuleDef_HEAD_INIT,
    "_pyeval_compat",
    "Exports PyEval_CallObject for durable-rules on Python 3.13+ (see the C source).",
    -1,
    NULL,
};

PyMODINIT_FUNC
PyInit__pyeval_compat(void)
{
    return PyModule_Create(&pyeval_compat_module);
}
