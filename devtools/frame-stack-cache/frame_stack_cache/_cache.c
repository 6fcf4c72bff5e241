/* Keeps the interpreter's freed frame-stack chunks for reuse instead of unmapping them.

   CPython 3.11 and 3.12 keep each thread's Python frames on a stack made of 16 KiB chunks, each
   mapped with mmap when a call first crosses into it and unmapped when that call returns. Code that
   calls in a loop right at a chunk's edge maps and unmaps a chunk, and faults its pages in afresh,
   on every call (python/cpython#142183; 3.13 and 3.14 since cache one chunk). Django's request
   handling sits at such depths: in Voz's test suite a quarter of a million mmap/munmap pairs per
   test worker-minute, a sixth of its CPU time spent in the kernel.

   The chunks come from the object arena allocator, which CPython lets an extension replace
   (PyObject_SetArenaAllocator). This one keeps up to KEPT freed blocks of at most KEPT_MAX bytes
   (frame-stack chunks; object arenas are 1 MiB) and hands them out again for the same size; the
   rest, and the blocks it cannot keep, go to the allocator that was there. Every block still comes
   from that allocator, so blocks mapped before the installation may be freed after it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define KEPT 16
#define KEPT_MAX (64 * 1024)

static PyObjectArenaAllocator underlying;
static void *kept[KEPT];
static size_t kept_size[KEPT];
static int kept_count;
/* Arena calls hold the GIL, except a thread state deleted without it (PyThreadState_Delete may
   be): whoever finds the lock taken uses the underlying allocator, which is thread-safe. */
static char busy;
static unsigned long long reused, passed_on;

static int take(void) { return !__atomic_test_and_set(&busy, __ATOMIC_ACQUIRE); }
static void give_back(void) { __atomic_clear(&busy, __ATOMIC_RELEASE); }

static void *cached_alloc(void *ctx, size_t size)
{
    if (size <= KEPT_MAX && take()) {
        for (int i = kept_count - 1; i >= 0; i--) {
            if (kept_size[i] == size) {
                void *block = kept[i];
                kept_count--;
                kept[i] = kept[kept_count];
                kept_size[i] = kept_size[kept_count];
                reused++;
                give_back();
                return block;
            }
        }
        give_back();
    }
    return underlying.alloc(underlying.ctx, size);
}

static void cached_free(void *ctx, void *block, size_t size)
{
    if (size <= KEPT_MAX && take()) {
        if (kept_count < KEPT) {
            kept[kept_count] = block;
            kept_size[kept_count] = size;
            kept_count++;
            give_back();
            return;
        }
        passed_on++;
        give_back();
    }
    underlying.free(underlying.ctx, block, size);
}

static PyObject *install(PyObject *module, PyObject *unused)
{
    if (underlying.alloc == NULL) {
        PyObjectArenaAllocator cached = {NULL, cached_alloc, cached_free};
        PyObject_GetArenaAllocator(&underlying);
        PyObject_SetArenaAllocator(&cached);
    }
    Py_RETURN_NONE;
}

static PyObject *statistics(PyObject *module, PyObject *unused)
{
    return Py_BuildValue("{s:O,s:K,s:K,s:i}", "installed", underlying.alloc ? Py_True : Py_False, "reused",
                         reused, "passed_on", passed_on, "kept", kept_count);
}

static PyMethodDef methods[] = {
    {"install", install, METH_NOARGS, "Put the cache in front of the arena allocator (once)."},
    {"statistics", statistics, METH_NOARGS, "Whether installed, blocks reused, blocks passed on, blocks kept now."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "frame_stack_cache._cache", NULL, -1, methods};

PyMODINIT_FUNC PyInit__cache(void) { return PyModule_Create(&module); }
