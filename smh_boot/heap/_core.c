/*
 * smh_boot.heap._core: the optional compiled core of smh_boot.heap.sys_heap (issue 17).
 *
 * The pure-Python closures of SysHeap._build_ops are the reference.  This file is a second
 * implementation of the same operations, written statement for statement after them, over the
 * same bytes: the region's memoryview is held as a writable buffer and every header field is
 * loaded and stored at the C offsets (uint16 fields in small heaps, uint32 in big ones), so an
 * overrun through the address space still damages the next header.
 *
 * Division of labour with Python:
 *   - The fast path handles well-formed calls on a sound heap.  Every condition under which
 *     the reference would raise *before changing anything* (a pointer outside the heap, a
 *     failed hardening check, a pointer that is not a live block, a negative size, a bad
 *     alignment, an argument that is not a plain int, unusual keywords) makes the core call the
 *     reference closure itself with the original arguments, so the typed error, its message and
 *     its details come from one place.
 *   - The STRICT integrity checks run at the same points with the same expressions; a failed
 *     one raises the reference's own report (its `corrupt(point, chunk, op)` factory).
 *   - A header read or write that the reference's memoryviews would refuse in a corrupted heap
 *     (index out of the header area, a value that does not fit the field) stops the operation
 *     at the same point with the same IndexError / ValueError, which is then typed by the
 *     reference's `_wild` (op, exception, arguments), as each public operation of the reference
 *     does.  The core never touches memory outside the header area it was given.
 *
 * HeapCore: one sys_heap.  PoolCore: the shared_multi_heap alloc / aligned_alloc / free
 * dispatch over HeapCores, taking the pool's Lock (a Lock type defined here, usable from
 * Python exactly like threading.Lock) without a Python call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "pythread.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef long long i64;
typedef unsigned long long u64;
typedef __int128 i128;

/* Interface version: smh_boot.heap.compiled refuses a core built from another revision. */
#define CORE_ABI 4

/* Arguments beyond this magnitude go to the reference (no int64 overflow anywhere below). */
#define ARG_LIMIT (1LL << 60)

enum { F_L = 0, F_SZ = 1, F_PV = 2, F_NX = 3 };

/* ======================================================================== Lock */

typedef struct {
    PyObject_HEAD
    PyThread_type_lock lk;
    char locked;
    PyObject *weakreflist;
} LockObject;

static PyTypeObject Lock_Type;

static int
lock_acquire_blocking(LockObject *self, PY_TIMEOUT_T us)
{
    /* 1 acquired, 0 timed out, -1 error (a signal handler raised). */
    PyLockStatus r = PyThread_acquire_lock_timed(self->lk, 0, 0);
    while (r != PY_LOCK_ACQUIRED) {
        if (us == 0)
            return 0;
        Py_BEGIN_ALLOW_THREADS
        r = PyThread_acquire_lock_timed(self->lk, us, 1);
        Py_END_ALLOW_THREADS
        if (r == PY_LOCK_INTR) {
            if (Py_MakePendingCalls() < 0)
                return -1;
            continue;
        }
        if (r == PY_LOCK_FAILURE)
            return 0;
    }
    self->locked = 1;
    return 1;
}

static inline int
lock_enter(LockObject *self)
{
    if (PyThread_acquire_lock(self->lk, NOWAIT_LOCK)) {
        self->locked = 1;
        return 1;
    }
    return lock_acquire_blocking(self, -1);
}

static inline void
lock_exit(LockObject *self)
{
    self->locked = 0;
    PyThread_release_lock(self->lk);
}

static PyObject *
Lock_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    if (PyTuple_GET_SIZE(args) || (kw && PyDict_GET_SIZE(kw))) {
        PyErr_SetString(PyExc_TypeError, "Lock() takes no arguments");
        return NULL;
    }
    LockObject *self = (LockObject *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->lk = PyThread_allocate_lock();
    if (!self->lk) {
        Py_DECREF(self);
        PyErr_SetString(PyExc_MemoryError, "cannot allocate lock");
        return NULL;
    }
    return (PyObject *)self;
}

static void
Lock_dealloc(LockObject *self)
{
    if (self->weakreflist)
        PyObject_ClearWeakRefs((PyObject *)self);
    if (self->lk) {
        if (self->locked)
            PyThread_release_lock(self->lk);
        PyThread_free_lock(self->lk);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Lock_acquire(LockObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"blocking", "timeout", NULL};
    int blocking = 1;
    double timeout = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|pd:acquire", kwlist, &blocking, &timeout))
        return NULL;
    PY_TIMEOUT_T us;
    if (!blocking) {
        if (timeout != -1) {
            PyErr_SetString(PyExc_ValueError, "can't specify a timeout for a non-blocking call");
            return NULL;
        }
        us = 0;
    } else if (timeout == -1) {
        us = -1;
    } else if (timeout < 0) {
        PyErr_SetString(PyExc_ValueError, "timeout value must be a non-negative number");
        return NULL;
    } else {
        double t = timeout * 1e6;
        if (t > (double)PY_TIMEOUT_MAX) {
            PyErr_SetString(PyExc_OverflowError, "timeout value is too large");
            return NULL;
        }
        us = (PY_TIMEOUT_T)t;
    }
    int r = lock_acquire_blocking(self, us);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

static PyObject *
Lock_release(LockObject *self, PyObject *unused)
{
    if (!self->locked) {
        PyErr_SetString(PyExc_RuntimeError, "release unlocked lock");
        return NULL;
    }
    lock_exit(self);
    Py_RETURN_NONE;
}

static PyObject *
Lock_enter(LockObject *self, PyObject *unused)
{
    int r = lock_acquire_blocking(self, -1);
    if (r < 0)
        return NULL;
    Py_RETURN_TRUE;
}

static PyObject *
Lock_exit(LockObject *self, PyObject *args)
{
    return Lock_release(self, NULL);
}

static PyObject *
Lock_locked(LockObject *self, PyObject *unused)
{
    return PyBool_FromLong(self->locked);
}

static PyObject *
Lock_repr(LockObject *self)
{
    return PyUnicode_FromFormat("<%s smh_boot.heap._core.Lock object at %p>",
                                self->locked ? "locked" : "unlocked", self);
}

static PyMethodDef Lock_methods[] = {
    {"acquire", (PyCFunction)(void (*)(void))Lock_acquire, METH_VARARGS | METH_KEYWORDS,
     "acquire(blocking=True, timeout=-1): as threading.Lock.acquire"},
    {"release", (PyCFunction)Lock_release, METH_NOARGS, "release the lock"},
    {"locked", (PyCFunction)Lock_locked, METH_NOARGS, "True while held"},
    {"__enter__", (PyCFunction)Lock_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Lock_exit, METH_VARARGS, NULL},
    {NULL},
};

static PyTypeObject Lock_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "smh_boot.heap._core.Lock",
    .tp_basicsize = sizeof(LockObject),
    .tp_dealloc = (destructor)Lock_dealloc,
    .tp_repr = (reprfunc)Lock_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A non-reentrant lock like threading.Lock, which the compiled pool dispatch takes "
              "without a Python call.",
    .tp_weaklistoffset = offsetof(LockObject, weakreflist),
    .tp_methods = Lock_methods,
    .tp_new = Lock_new,
};

/* ======================================================================== HeapCore */

typedef struct {
    PyObject_HEAD
    Py_buffer buf;          /* the heap region (writable), held for the core's lifetime */
    int have_buf;
    unsigned char *hbase;   /* struct z_heap (the 8-aligned heap base) inside buf */
    unsigned char *bkt;     /* the bucket array */
    unsigned char *st;      /* the runtime stats counters, or NULL */
    int big, ps, strict, moderate;
    int raw_err;            /* the pending exception is a memoryview-style one: `wild` types it */
    i64 hdr, hdr7, end, c0min, m1, nb, loops, level;
    i64 addr, base, hb;     /* region address, heap base, data address of chunk 0 */
    i128 smask;
    PyObject *live;         /* STRICT: dict live block -> owner, else NULL */
    PyObject *raw;          /* the region memoryview (for the realloc copy) */
    /* the reference closures (delegation targets) */
    PyObject *py_alloc, *py_aligned_alloc, *py_free, *py_realloc, *py_aligned_realloc,
        *py_usable_size;
    /* the reference's error factories: corrupt(point, chunk, op), wild(op, exc, ptr, size, align) */
    PyObject *corrupt, *wild;
} HeapCore;

static PyTypeObject HeapCore_Type;

/* The errors the reference's memoryviews raise in a corrupted heap (then typed by `wild`). */
static int
oob(HeapCore *h)
{
    PyErr_SetString(PyExc_IndexError, "index out of bounds on dimension 1");
    h->raw_err = 1;
    return 0;
}

static int
badval(HeapCore *h, char fmt)
{
    PyErr_Format(PyExc_ValueError, "memoryview: invalid value for format '%c'", fmt);
    h->raw_err = 1;
    return 0;
}

static int
shift_error(HeapCore *h)
{
    PyErr_SetString(PyExc_ValueError, "negative shift count");
    h->raw_err = 1;
    return 0;
}

static inline int
rd(HeapCore *h, int k, i64 c, i64 *out)
{
    i64 len = k < 2 ? h->end + 1 : h->end;
    if (c < 0)
        c += len;
    if ((u64)c >= (u64)len)
        return oob(h);
    if (h->big) {
        uint32_t v;
        memcpy(&v, h->hbase + 8 * c + 4 * k, 4);
        *out = v;
    } else {
        uint16_t v;
        memcpy(&v, h->hbase + 8 * c + 2 * k, 2);
        *out = v;
    }
    return 1;
}

static inline int
wr(HeapCore *h, int k, i64 c, i64 v)
{
    i64 len = k < 2 ? h->end + 1 : h->end;
    if (c < 0)
        c += len;
    if ((u64)c >= (u64)len)
        return oob(h);
    if (h->big) {
        if ((u64)v > 0xFFFFFFFFull)
            return badval(h, 'I');
        uint32_t x = (uint32_t)v;
        memcpy(h->hbase + 8 * c + 4 * k, &x, 4);
    } else {
        if ((u64)v > 0xFFFFull)
            return badval(h, 'H');
        uint16_t x = (uint16_t)v;
        memcpy(h->hbase + 8 * c + 2 * k, &x, 2);
    }
    return 1;
}

static inline i64
rdz(HeapCore *h)
{
    uint32_t v;
    memcpy(&v, h->hbase + 12, 4);
    return v;
}

static inline int
wrz(HeapCore *h, i64 v)
{
    if ((u64)v > 0xFFFFFFFFull)
        return badval(h, 'I');
    uint32_t x = (uint32_t)v;
    memcpy(h->hbase + 12, &x, 4);
    return 1;
}

static inline int
rdb(HeapCore *h, i64 b, i64 *out)
{
    if (b < 0)
        b += h->nb;
    if ((u64)b >= (u64)h->nb)
        return oob(h);
    uint32_t v;
    memcpy(&v, h->bkt + 4 * b, 4);
    *out = v;
    return 1;
}

static inline int
wrb(HeapCore *h, i64 b, i64 v)
{
    if (b < 0)
        b += h->nb;
    if ((u64)b >= (u64)h->nb)
        return oob(h);
    if ((u64)v > 0xFFFFFFFFull)
        return badval(h, 'I');
    uint32_t x = (uint32_t)v;
    memcpy(h->bkt + 4 * b, &x, 4);
    return 1;
}

static inline i128
rds(HeapCore *h, int i)
{
    if (h->ps == 4) {
        uint32_t v;
        memcpy(&v, h->st + 4 * i, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, h->st + 8 * i, 8);
    return v;
}

static inline int
wrs(HeapCore *h, int i, i128 v)
{
    if (h->ps == 4) {
        if (v < 0 || v > (i128)0xFFFFFFFFull)
            return badval(h, 'I');
        uint32_t x = (uint32_t)v;
        memcpy(h->st + 4 * i, &x, 4);
    } else {
        if (v < 0 || v > (i128)UINT64_MAX)
            return badval(h, 'Q');
        uint64_t x = (uint64_t)v;
        memcpy(h->st + 8 * i, &x, 8);
    }
    return 1;
}

static inline i64
bitlen(i64 x)
{
    u64 a = x < 0 ? (u64)0 - (u64)x : (u64)x;
    return a ? 64 - __builtin_clzll(a) : 0;
}

/* `raise corrupt(point, c, op)`: the reference's STRICT integrity report. */
static int
corrupt(HeapCore *h, const char *point, i64 c, const char *op)
{
    PyObject *r = PyObject_CallFunction(h->corrupt, "sLs", point, c, op);
    if (r) {
        PyErr_SetObject((PyObject *)Py_TYPE(r), r);
        Py_DECREF(r);
    }
    return 0;
}

/* The reference wraps each public operation in
 *     except (IndexError, ValueError, OverflowError, TypeError) as e:
 *         raise _wild(heap, op, e, ptr, size, align) from None
 * This does the same for the errors the core raised itself (a typed error passes). */
static void
type_raw_error(HeapCore *h, const char *op, i64 ptr, i64 size, i64 align)
{
    if (!h->raw_err || !PyErr_Occurred())
        return;
    h->raw_err = 0;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value)
        PyException_SetTraceback(value, tb);
    PyObject *r = PyObject_CallFunction(h->wild, "sOLLL", op, value ? value : Py_None, ptr, size,
                                        align);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    if (r) {
        PyException_SetCause(r, NULL); /* `from None` */
        PyErr_SetObject((PyObject *)Py_TYPE(r), r);
        Py_DECREF(r);
    }
}

/* Statement macros: on a refused access the function jumps to its `fail` label with the
 * Python exception set, as the reference stops at the failing subscript. */
#define R(k, c) ({ i64 _v; if (!rd(h, (k), (c), &_v)) goto fail; _v; })
#define W(k, c, v) do { if (!wr(h, (k), (c), (v))) goto fail; } while (0)
#define RB(b) ({ i64 _v; if (!rdb(h, (b), &_v)) goto fail; _v; })
#define WB(b, v) do { if (!wrb(h, (b), (v))) goto fail; } while (0)
#define WZ(v) do { if (!wrz(h, (v))) goto fail; } while (0)
#define WS(i, v) do { if (!wrs(h, (i), (v))) goto fail; } while (0)
#define BIT(b) ({ i64 _b = (b); if (_b < 0) { shift_error(h); goto fail; } (i64)1 << _b; })
/* Python's x >> b for 0 <= x < 2**32 */
#define SHR(x, b) ({ i64 _b = (b); if (_b < 0) { shift_error(h); goto fail; } _b > 62 ? (i64)0 : (i64)((u64)(x) >> _b); })
#define CORRUPT(point, c, op) do { corrupt(h, (point), (c), (op)); goto fail; } while (0)
#define INHEAP(c) (h->c0min <= (c) && (c) < h->end)

/* CHECK free-list-unlink (STRICT): may chunk c be taken off bucket bi?  1 no, 0 yes, -1 error. */
static int
unlink_bad(HeapCore *h, i64 c, i64 bi)
{
    if (!INHEAP(c))
        return 1;
    i64 s = R(F_SZ, c), sz = s >> 1;
    if ((s & 1) || !sz || c + sz > h->end || R(F_L, c + sz) != sz)
        return 1;
    if (sz <= h->m1)
        return 0;
    i64 n = R(F_NX, c), p = R(F_PV, c);
    if (!INHEAP(n) || !INHEAP(p) || R(F_PV, n) != c || R(F_NX, p) != c ||
        bitlen(sz - h->m1) - 1 != bi || !RB(bi) || !(SHR(rdz(h), bi) & 1))
        return 1;
    return 0;
fail:
    return -1;
}

/* free_list_add(): undersized chunks of big heaps are never listed. */
static int
fl_add(HeapCore *h, i64 c, i64 sz)
{
    if (sz <= h->m1)
        return 1;
    i64 bi = bitlen(sz - h->m1) - 1;
    i64 hh = RB(bi);
    if (hh) {
        i64 f = R(F_PV, hh);
        if (h->strict && R(F_NX, f) != hh) /* CHECK free-list-add */
            CORRUPT("free-list-add", hh, "free list add");
        W(F_PV, c, f);
        W(F_NX, c, hh);
        W(F_NX, f, c);
        W(F_PV, hh, c);
    } else {
        WZ(rdz(h) | BIT(bi));
        WB(bi, c);
        W(F_PV, c, c);
        W(F_NX, c, c);
    }
    if (h->st)
        WS(0, rds(h, 0) + (i128)sz * 8 - h->hdr);
    return 1;
fail:
    return 0;
}

/* free_list_remove(): the bucket head moves to c's successor, whatever c was. */
static int
fl_remove(HeapCore *h, i64 c, i64 sz, const char *op)
{
    if (sz <= h->m1) {
        /* undersized (never listed), or a size of 0: CHECK free-list-unlink */
        if (h->strict && (!sz || (R(F_SZ, c) & 1) || R(F_L, c + sz) != sz))
            CORRUPT("free-list-unlink", c, op);
        return 1;
    }
    i64 bi = bitlen(sz - h->m1) - 1;
    i64 n = R(F_NX, c);
    if (n == c) { /* a list of one: sound when prev == c too (the reference's order) */
        if (h->strict && ((R(F_SZ, c) & 1) || R(F_L, c + sz) != sz || R(F_PV, c) != c ||
                          c < h->c0min)) /* CHECK free-list-unlink (in order, as the reference) */
            CORRUPT("free-list-unlink", c, op);
        WZ(rdz(h) & ~BIT(bi));
        WB(bi, 0);
    } else {
        i64 p = R(F_PV, c);
        if (h->strict && ((R(F_SZ, c) & 1) || R(F_L, c + sz) != sz || R(F_PV, n) != c ||
                          R(F_NX, p) != c || c < h->c0min || n < h->c0min || p < h->c0min))
            CORRUPT("free-list-unlink", c, op); /* CHECK free-list-unlink */
        WB(bi, n);
        W(F_NX, p, n);
        W(F_PV, n, p);
    }
    if (h->st)
        WS(0, rds(h, 0) - ((i128)sz * 8 - h->hdr));
    return 1;
fail:
    return 0;
}

/* alloc_chunk(): the chunk (off its list), 0 when none fits, -1 on error. */
static i64
alloc_chunk(HeapCore *h, i64 sz, const char *op)
{
    i64 bi = bitlen(sz - h->m1) - 1;
    i64 c = RB(bi);
    if (c) {
        i64 first = c, i = h->loops;
        for (;;) {
            i64 csz = R(F_SZ, c) >> 1;
            if (csz >= sz) {
                if (!fl_remove(h, c, csz, op))
                    goto fail;
                return c;
            }
            c = R(F_NX, c);
            WB(bi, c);
            i -= 1;
            if (!i || c == first)
                break;
        }
    }
    i64 mask = SHR(rdz(h), bi + 1);
    if (!mask)
        return 0;
    bi += bitlen(mask & -mask);
    c = RB(bi);
    i64 csz = R(F_SZ, c) >> 1;
    if (h->strict && csz < sz) /* CHECK free-list-unlink (C: chunk_size(c) >= sz) */
        CORRUPT("free-list-unlink", c, op);
    if (!fl_remove(h, c, csz, op))
        goto fail;
    return c;
fail:
    return -1;
}

/* free_chunk(): merge with a free right neighbour first, then with a free left one. */
static int
free_chunk(HeapCore *h, i64 c, i64 sz, const char *op)
{
    i64 rc = c + sz;
    i64 rs = R(F_SZ, rc);
    if (!(rs & 1)) {
        rs >>= 1;
        if (h->strict && (!rs || rc + rs > h->end))
            CORRUPT("merge-neighbour", rc, op);
        if (!fl_remove(h, rc, rs, op))
            goto fail;
        sz += rs;
        W(F_SZ, c, sz << 1);
        W(F_L, c + sz, sz);
    }
    i64 lc = c - R(F_L, c);
    i64 ls = R(F_SZ, lc);
    if (!(ls & 1)) {
        ls >>= 1;
        if (!fl_remove(h, lc, ls, op))
            goto fail;
        sz += ls;
        W(F_SZ, lc, sz << 1);
        W(F_L, lc + sz, sz);
        c = lc;
    }
    return fl_add(h, c, sz);
fail:
    return 0;
}

static int
add_stats_used(HeapCore *h, i64 sz)
{
    if (h->st) {
        i128 a = rds(h, 1) + (i128)sz * 8 - h->hdr;
        WS(1, a);
        if (a > rds(h, 2))
            WS(2, a);
    }
    return 1;
fail:
    return 0;
}

/* sys_heap_alloc for 0 < nbytes < ARG_LIMIT: new reference (int or None), NULL on error. */
static PyObject *
alloc_body(HeapCore *h, i64 nbytes, PyObject *owner)
{
    const i64 m1 = h->m1;
    i64 need = (nbytes + h->hdr7) >> 3;
    if (need > h->end)
        need = h->end;
    i64 bi = bitlen(need - m1) - 1;
    i64 c = RB(bi), s = 0, sz = 0;
    if (c) {
        i64 first = c, i = h->loops;
        for (;;) {
            s = R(F_SZ, c);
            sz = s >> 1;
            if (sz >= need)
                break;
            c = R(F_NX, c);
            WB(bi, c);
            i -= 1;
            if (!i || c == first) {
                c = 0;
                break;
            }
        }
    }
    if (!c) {
        i64 mask = SHR(rdz(h), bi + 1);
        if (!mask)
            Py_RETURN_NONE;
        bi += bitlen(mask & -mask);
        c = RB(bi);
        s = R(F_SZ, c);
        sz = s >> 1;
        if (h->strict && sz < need) /* CHECK free-list-unlink (C: chunk_size(c) >= sz) */
            CORRUPT("free-list-unlink", c, "alloc");
    }
    i64 n = R(F_NX, c);
    if (n == c) { /* a list of one: sound when prev == c too */
        if (h->strict && ((s & 1) || R(F_L, c + sz) != sz || R(F_PV, c) != c || c < h->c0min))
            CORRUPT("free-list-unlink", c, "alloc"); /* CHECK free-list-unlink, in order */
        WZ(rdz(h) & ~BIT(bi));
        WB(bi, 0);
    } else {
        i64 p = R(F_PV, c);
        if (h->strict && ((s & 1) || R(F_L, c + sz) != sz || R(F_PV, n) != c ||
                          R(F_NX, p) != c || c < h->c0min || n < h->c0min || p < h->c0min))
            CORRUPT("free-list-unlink", c, "alloc"); /* CHECK bucket-scan + free-list-unlink */
        WB(bi, n);
        W(F_NX, p, n);
        W(F_PV, n, p);
    }
    if (h->st)
        WS(0, rds(h, 0) - ((i128)sz * 8 - h->hdr));
    if (sz > need) {
        i64 rc = c + need, rsz = sz - need;
        W(F_SZ, rc, rsz << 1);
        W(F_L, rc, need);
        W(F_L, rc + rsz, rsz);
        if (rsz > m1) {
            bi = bitlen(rsz - m1) - 1;
            i64 hh = RB(bi);
            if (hh) {
                i64 f = R(F_PV, hh);
                if (h->strict && R(F_NX, f) != hh) /* CHECK free-list-add */
                    CORRUPT("free-list-add", hh, "alloc");
                W(F_PV, rc, f);
                W(F_NX, rc, hh);
                W(F_NX, f, rc);
                W(F_PV, hh, rc);
            } else {
                WZ(rdz(h) | BIT(bi));
                WB(bi, rc);
                W(F_PV, rc, rc);
                W(F_NX, rc, rc);
            }
            if (h->st)
                WS(0, rds(h, 0) + (i128)rsz * 8 - h->hdr);
        }
        sz = need;
    }
    W(F_SZ, c, sz << 1 | 1);
    if (!add_stats_used(h, sz))
        goto fail;
    PyObject *res = PyLong_FromLongLong(h->hb + (c << 3));
    if (res && h->live && PyDict_SetItem(h->live, res, owner) < 0)
        Py_CLEAR(res);
    return res;
fail:
    return NULL;
}

static PyObject *
core_alloc(HeapCore *h, i64 nbytes, PyObject *owner)
{
    PyObject *r = alloc_body(h, nbytes, owner);
    if (!r)
        type_raw_error(h, "alloc", 0, nbytes, 0);
    return r;
}

/* sys_heap_aligned_alloc past the argument checks: align a power of two > hdr (rew 0) or the
 * higher part of a two-bit alignment (rew its lower bit); 0 < nbytes < ARG_LIMIT. */
static PyObject *
aligned_body(HeapCore *h, i64 align, i64 rew, i64 gap, i64 nbytes, PyObject *owner)
{
    i64 padded = (nbytes + align - gap + h->hdr7) >> 3;
    if (padded > h->end)
        padded = h->end;
    i64 c0 = alloc_chunk(h, padded, "aligned_alloc");
    if (c0 < 0)
        return NULL;
    if (!c0)
        Py_RETURN_NONE;
    i64 m = ((h->hb + (c0 << 3) + rew + align - 1) & -align) - rew;
    i64 c = (m - h->hb) >> 3;
    i64 c_end = (m + nbytes + 7 - h->base) >> 3;
    i64 sz = R(F_SZ, c0) >> 1;
    if (c > c0) {
        i64 lsz = c - c0;
        sz -= lsz;
        W(F_SZ, c0, lsz << 1);
        W(F_SZ, c, sz << 1);
        W(F_L, c, lsz);
        W(F_L, c + sz, sz);
        if (!fl_add(h, c0, lsz))
            goto fail;
    }
    if (c + sz > c_end) {
        i64 lsz = c_end - c, rsz = sz - lsz;
        W(F_SZ, c_end, rsz << 1);
        W(F_L, c_end, lsz);
        W(F_L, c_end + rsz, rsz);
        if (!fl_add(h, c_end, rsz))
            goto fail;
        sz = lsz;
    }
    W(F_SZ, c, sz << 1 | 1);
    if (!add_stats_used(h, sz))
        goto fail;
    PyObject *p = PyLong_FromLongLong(m);
    if (p && h->live && PyDict_SetItem(h->live, p, owner) < 0)
        Py_CLEAR(p);
    return p;
fail:
    return NULL;
}

static PyObject *
core_aligned_body(HeapCore *h, i64 align, i64 rew, i64 gap, i64 nbytes, PyObject *owner)
{
    PyObject *r = aligned_body(h, align, rew, gap, nbytes, owner);
    if (!r)
        type_raw_error(h, "aligned_alloc", 0, nbytes, align);
    return r;
}

/* ------------------------------------------------------------------ argument handling */

/* An exact int in (-ARG_LIMIT, ARG_LIMIT): 1 and *out, else 0 (the reference decides). */
static inline int
small_int(PyObject *o, i64 *out)
{
    if (!PyLong_CheckExact(o))
        return 0;
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow || v <= -ARG_LIMIT || v >= ARG_LIMIT) {
        PyErr_Clear();
        return 0;
    }
    *out = v;
    return 1;
}

/* Map a vectorcall to the parameters `names` (the first `npos_max` may be positional, all
 * may be keywords, the first `nreq` are required; the rest default to NULL).  0 when the
 * call is anything else: the reference then reports it exactly as Python would. */
static int
bind(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, const char *const *names,
     int nparams, int nreq, PyObject **out)
{
    if (nargs > nparams)
        return 0;
    for (int i = 0; i < nparams; i++)
        out[i] = i < nargs ? args[i] : NULL;
    if (kwnames) {
        Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t j = 0; j < nk; j++) {
            PyObject *key = PyTuple_GET_ITEM(kwnames, j);
            int found = 0;
            for (int i = 0; i < nparams; i++) {
                if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0) {
                    if (out[i])
                        return 0;
                    out[i] = args[nargs + j];
                    found = 1;
                    break;
                }
            }
            if (!found)
                return 0;
        }
    }
    for (int i = 0; i < nreq; i++)
        if (!out[i])
            return 0;
    return 1;
}

#define DELEGATE(fn) return PyObject_Vectorcall((fn), args, nargsf, kwnames)

static PyObject *
call2(PyObject *fn, PyObject *a, PyObject *b)
{
    PyObject *v[2] = {a, b};
    return PyObject_Vectorcall(fn, v, 2, NULL);
}

/* alloc(nbytes, owner) as the pool dispatch calls it: may delegate. */
static PyObject *
heap_alloc_obj(HeapCore *h, PyObject *nbytes_o, PyObject *owner)
{
    i64 nbytes;
    if (!small_int(nbytes_o, &nbytes) || nbytes < 0)
        return call2(h->py_alloc, nbytes_o, owner);
    if (nbytes == 0)
        Py_RETURN_NONE;
    return core_alloc(h, nbytes, owner);
}

static const char *const ALLOC_NAMES[] = {"nbytes", "owner"};

static PyObject *
HeapCore_alloc(HeapCore *h, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *a[2];
    if (!bind(args, PyVectorcall_NARGS(nargsf), kwnames, ALLOC_NAMES, 2, 1, a))
        DELEGATE(h->py_alloc);
    return heap_alloc_obj(h, a[0], a[1] ? a[1] : Py_None);
}

/* aligned_alloc(align, nbytes, owner): may delegate. */
static PyObject *
heap_aligned_obj(HeapCore *h, PyObject *align_o, PyObject *nbytes_o, PyObject *owner)
{
    i64 align, nbytes;
    if (!small_int(align_o, &align) || align < 0 || !small_int(nbytes_o, &nbytes))
        goto slow;
    i64 rew = align & -align, gap;
    if (align != rew) {
        align -= rew;
        gap = rew < h->hdr ? rew : h->hdr;
        if (align & (align - 1))
            goto slow;
    } else {
        if (align <= h->hdr)
            return heap_alloc_obj(h, nbytes_o, owner);
        rew = 0;
        gap = h->hdr;
    }
    if (nbytes <= 0) {
        if (nbytes == 0)
            Py_RETURN_NONE;
        goto slow;
    }
    return core_aligned_body(h, align, rew, gap, nbytes, owner);
slow: {
        PyObject *v[3] = {align_o, nbytes_o, owner};
        return PyObject_Vectorcall(h->py_aligned_alloc, v, 3, NULL);
    }
}

static const char *const ALIGNED_NAMES[] = {"align", "nbytes", "owner"};

static PyObject *
HeapCore_aligned_alloc(HeapCore *h, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *a[3];
    if (!bind(args, PyVectorcall_NARGS(nargsf), kwnames, ALIGNED_NAMES, 3, 2, a))
        DELEGATE(h->py_aligned_alloc);
    return heap_aligned_obj(h, a[0], a[1], a[2] ? a[2] : Py_None);
}

/* The hardening checks free() makes before it changes anything (the reference's condition,
 * term for term).  1 when the block passes, 0 when not, -1 on an error (then cleared). */
static inline int
free_checks_pass(HeapCore *h, i64 c)
{
    i64 s, sz, rc, l, t;
    if (!rd(h, F_SZ, c, &s) || !rd(h, F_L, c, &l))
        return -1;
    sz = s >> 1;
    rc = c + sz;
    if (h->level) {
        if (!(s & 1) || rc > h->end)
            return 0;
        if (!rd(h, F_L, rc, &t))
            return -1;
        if (t != sz)
            return 0;
        if (h->moderate) {
            if (l > c)
                return 0;
            if (!rd(h, F_SZ, c - l, &t))
                return -1;
            if (t >> 1 != l)
                return 0;
        }
        return 1;
    }
    return !(!sz || rc > h->end || l > c);
}

/* sys_heap_free past the checks (the live entry is gone; `owner` to put back). */
static int
free_body(HeapCore *h, PyObject *ptr_o, i64 c, PyObject *owner)
{
    const i64 m1 = h->m1, hdr = h->hdr;
    i64 s = R(F_SZ, c), sz = s >> 1, rc = c + sz;
    i64 lz = R(F_L, c);
    i64 rs = R(F_SZ, rc);
    if (!(rs & 1)) {
        rs >>= 1;
        if (rs > m1) {
            i64 bi = bitlen(rs - m1) - 1;
            i64 n = R(F_NX, rc);
            if (n == rc) { /* a list of one */
                /* CHECK merge-neighbour + free-list-unlink */
                if (h->strict && (R(F_L, rc + rs) != rs || R(F_PV, rc) != rc)) {
                    if (PyDict_SetItem(h->live, ptr_o, owner) < 0)
                        goto fail;
                    CORRUPT("merge-neighbour", rc, "free");
                }
                WZ(rdz(h) & ~BIT(bi));
                WB(bi, 0);
            } else {
                i64 p = R(F_PV, rc);
                /* CHECK merge-neighbour + free-list-unlink */
                if (h->strict && (R(F_L, rc + rs) != rs || R(F_PV, n) != rc || R(F_NX, p) != rc ||
                                  n < h->c0min || p < h->c0min)) {
                    if (PyDict_SetItem(h->live, ptr_o, owner) < 0)
                        goto fail;
                    CORRUPT("merge-neighbour", rc, "free");
                }
                WB(bi, n);
                W(F_NX, p, n);
                W(F_PV, n, p);
            }
            if (h->st)
                WS(0, rds(h, 0) - ((i128)rs * 8 - hdr));
        }
        sz += rs;
        W(F_L, c + sz, sz);
    }
    W(F_SZ, c, sz << 1);
    i64 lc = c - lz;
    i64 ls = R(F_SZ, lc);
    if (!(ls & 1)) {
        ls >>= 1;
        if (ls > m1) {
            i64 bi = bitlen(ls - m1) - 1;
            i64 n = R(F_NX, lc);
            if (n == lc) { /* a list of one */
                if (h->strict && (R(F_PV, lc) != lc || lc < h->c0min)) /* CHECK free-list-unlink */
                    CORRUPT("free-list-unlink", lc, "free");
                WZ(rdz(h) & ~BIT(bi));
                WB(bi, 0);
            } else {
                i64 p = R(F_PV, lc);
                if (h->strict && (R(F_PV, n) != lc || R(F_NX, p) != lc || n < h->c0min ||
                                  p < h->c0min)) /* CHECK free-list-unlink */
                    CORRUPT("free-list-unlink", lc, "free");
                WB(bi, n);
                W(F_NX, p, n);
                W(F_PV, n, p);
            }
            if (h->st)
                WS(0, rds(h, 0) - ((i128)ls * 8 - hdr));
        }
        sz += ls;
        W(F_SZ, lc, sz << 1);
        W(F_L, lc + sz, sz);
        c = lc;
    }
    if (h->st) {
        i128 a = rds(h, 1) - ((i128)(s >> 1) * 8 - hdr);
        WS(1, a >= 0 ? a : (a & h->smask));
    }
    if (sz > m1) {
        i64 bi = bitlen(sz - m1) - 1;
        i64 hh = RB(bi);
        if (hh) {
            i64 f = R(F_PV, hh);
            if (h->strict && R(F_NX, f) != hh) /* CHECK free-list-add */
                CORRUPT("free-list-add", hh, "free");
            W(F_PV, c, f);
            W(F_NX, c, hh);
            W(F_NX, f, c);
            W(F_PV, hh, c);
        } else {
            WZ(rdz(h) | BIT(bi));
            WB(bi, c);
            W(F_PV, c, c);
            W(F_NX, c, c);
        }
        if (h->st)
            WS(0, rds(h, 0) + (i128)sz * 8 - hdr);
    }
    return 0;
fail:
    return -1;
}

/* sys_heap_free: 0 (None) or -1.  Anything the reference would refuse goes to it. */
static int
heap_free_obj(HeapCore *h, PyObject *ptr_o)
{
    i64 ptr;
    if (ptr_o == Py_None)
        return 0;
    if (!small_int(ptr_o, &ptr))
        goto slow;
    PyObject *owner = NULL;
    if (h->live) {
        owner = PyDict_GetItemWithError(h->live, ptr_o);
        if (!owner) {
            if (PyErr_Occurred())
                return -1;
            goto slow;
        }
    }
    i64 c = (ptr - h->hb) >> 3;
    if (c < h->c0min || c >= h->end)
        goto slow;
    int ok = free_checks_pass(h, c);
    if (ok < 0) {
        PyErr_Clear();
        h->raw_err = 0;
    }
    if (ok <= 0)
        goto slow;
    int r;
    if (h->live) {
        Py_INCREF(owner);
        if (PyDict_DelItem(h->live, ptr_o) < 0) {
            Py_DECREF(owner);
            return -1;
        }
        r = free_body(h, ptr_o, c, owner);
        Py_DECREF(owner);
    } else {
        r = free_body(h, ptr_o, c, Py_None);
    }
    if (r < 0)
        type_raw_error(h, "free", ptr, 0, 0);
    return r;
slow: {
        PyObject *res = PyObject_Vectorcall(h->py_free, &ptr_o, 1, NULL);
        if (!res)
            return -1;
        Py_DECREF(res);
        return 0;
    }
}

static const char *const FREE_NAMES[] = {"ptr"};

static PyObject *
HeapCore_free(HeapCore *h, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *a[1];
    if (!bind(args, PyVectorcall_NARGS(nargsf), kwnames, FREE_NAMES, 1, 1, a))
        DELEGATE(h->py_free);
    if (heap_free_obj(h, a[0]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
HeapCore_usable_size(HeapCore *h, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *a[1];
    i64 ptr;
    if (!bind(args, PyVectorcall_NARGS(nargsf), kwnames, FREE_NAMES, 1, 1, a) ||
        !small_int(a[0], &ptr))
        DELEGATE(h->py_usable_size);
    i64 c = (ptr - h->hb) >> 3;
    if (c < h->c0min || c >= h->end)
        DELEGATE(h->py_usable_size);
    i64 s;
    if (!rd(h, F_SZ, c, &s))
        return NULL;
    return PyLong_FromLongLong((s >> 1) * 8 - h->hdr - (h->big ? 0 : (ptr - 4) & 7));
}

/* inplace_realloc(): 1 done, 0 cannot, -1 error. */
static int
inplace_realloc(HeapCore *h, i64 ptr, i64 nbytes)
{
    i64 c = (ptr - h->hb) >> 3;
    i64 gap = h->big ? 0 : (ptr - 4) & 7;
    i64 need = (nbytes + gap + h->hdr7) >> 3;
    if (need > h->end)
        need = h->end;
    i64 sz = R(F_SZ, c) >> 1;
    if (sz == need)
        return 1;
    if (sz > need) {
        /* Shrink: split, keep the head used, free the tail (merging to the right). */
        i64 rc = c + need, rsz = sz - need;
        if (h->strict) { /* CHECK merge-neighbour before the split is written */
            i64 nc = c + sz, ns = R(F_SZ, nc);
            if (!(ns & 1)) {
                ns >>= 1;
                int bad = !ns || nc + ns > h->end;
                if (!bad) {
                    bad = unlink_bad(h, nc, bitlen(ns - h->m1) - 1);
                    if (bad < 0)
                        goto fail;
                }
                if (bad)
                    CORRUPT("merge-neighbour", nc, "realloc");
            }
        }
        W(F_SZ, c, need << 1 | 1);
        W(F_SZ, rc, rsz << 1);
        W(F_L, rc, need);
        W(F_L, rc + rsz, rsz);
        if (!free_chunk(h, rc, rsz, "realloc"))
            goto fail;
        if (h->st)
            WS(1, rds(h, 1) - (i128)rsz * 8);
        return 1;
    }
    i64 rc = c + sz;
    i64 rs = R(F_SZ, rc);
    if (rs & 1)
        return 0;
    i64 rsz = rs >> 1;
    if (h->strict && (!rsz || rc + rsz > h->end))
        CORRUPT("merge-neighbour", rc, "realloc");
    if (sz + rsz < need)
        return 0;
    /* Grow into the free right neighbour, taking only what is needed. */
    i64 split = need - sz;
    if (!fl_remove(h, rc, rsz, "realloc"))
        goto fail;
    if (h->st) {
        i128 a = rds(h, 1) + (i128)split * 8;
        WS(1, a);
        if (a > rds(h, 2))
            WS(2, a);
    }
    if (split < rsz) {
        i64 nc = rc + split, nsz = rsz - split;
        W(F_SZ, rc, split << 1);
        W(F_SZ, nc, nsz << 1);
        W(F_L, nc, split);
        W(F_L, nc + nsz, nsz);
        if (!fl_add(h, nc, nsz))
            goto fail;
    }
    W(F_SZ, c, need << 1 | 1);
    W(F_L, c + need, need);
    return 1;
fail:
    return -1;
}

/* check_block(ptr, "realloc") of the reference at FULL and STRICT: 1 passes. */
static int
realloc_checks_pass(HeapCore *h, i64 c)
{
    i64 s, sz, rc, t, lsz;
    if (!rd(h, F_SZ, c, &s))
        return -1;
    sz = s >> 1;
    if (!(s & 1))
        return 0;
    rc = c + sz;
    if (!sz || rc > h->end)
        return 0;
    if (!rd(h, F_L, rc, &t))
        return -1;
    if (t != sz)
        return 0;
    if (!rd(h, F_L, c, &lsz))
        return -1;
    if (!lsz || lsz > c)
        return 0;
    if (!rd(h, F_SZ, c - lsz, &t))
        return -1;
    return t >> 1 == lsz;
}

/* raw[o2:o2+n] = bytes(raw[o1:o1+n]) with Python's slice semantics. */
static int
copy_block(HeapCore *h, i64 o1, i64 o2, i64 n)
{
    i64 len = (i64)h->buf.len;
    if (n >= 0 && o1 >= 0 && o2 >= 0 && o1 + n <= len && o2 + n <= len) {
        memmove((char *)h->buf.buf + o2, (char *)h->buf.buf + o1, (size_t)n);
        return 1;
    }
    int ok = 0;
    PyObject *s1 = NULL, *s2 = NULL, *src = NULL, *b = NULL;
    PyObject *a1 = PyLong_FromLongLong(o1), *e1 = PyLong_FromLongLong(o1 + n);
    PyObject *a2 = PyLong_FromLongLong(o2), *e2 = PyLong_FromLongLong(o2 + n);
    if (a1 && e1 && a2 && e2 && (s1 = PySlice_New(a1, e1, NULL)) && (s2 = PySlice_New(a2, e2, NULL)) &&
        (src = PyObject_GetItem(h->raw, s1)) && (b = PyBytes_FromObject(src)) &&
        PyObject_SetItem(h->raw, s2, b) == 0)
        ok = 1;
    Py_XDECREF(a1); Py_XDECREF(e1); Py_XDECREF(a2); Py_XDECREF(e2);
    Py_XDECREF(s1); Py_XDECREF(s2); Py_XDECREF(src); Py_XDECREF(b);
    if (!ok && (PyErr_ExceptionMatches(PyExc_ValueError) || PyErr_ExceptionMatches(PyExc_IndexError)))
        h->raw_err = 1;
    return ok;
}

static PyObject *
heap_aligned_realloc_obj(HeapCore *h, PyObject *ptr_o, PyObject *align_o, PyObject *nbytes_o,
                         PyObject *owner)
{
    i64 ptr, align, nbytes;
    if (ptr_o == Py_None)
        return heap_aligned_obj(h, align_o, nbytes_o, owner);
    if (!small_int(ptr_o, &ptr) || !small_int(align_o, &align) || align < 0 ||
        !small_int(nbytes_o, &nbytes))
        goto slow;
    if (nbytes <= 0) {
        if (nbytes == 0) {
            if (heap_free_obj(h, ptr_o) < 0)
                return NULL;
            Py_RETURN_NONE;
        }
        goto slow;
    }
    if (align & (align - 1))
        goto slow;
    i64 c = (ptr - h->hb) >> 3;
    if (c < h->c0min || c >= h->end)
        goto slow;
    if (h->live) {
        PyObject *old = PyDict_GetItemWithError(h->live, ptr_o);
        if (!old) {
            if (PyErr_Occurred())
                return NULL;
            goto slow;
        }
        if (owner == Py_None)
            owner = old;
    }
    if (h->level >= 3) {
        int ok = realloc_checks_pass(h, c);
        if (ok < 0) {
            PyErr_Clear();
            h->raw_err = 0;
        }
        if (ok <= 0)
            goto slow;
    }
    Py_INCREF(owner); /* a borrowed dict value must outlive the dict updates below */
    PyObject *res = NULL;
    if (!align || !(ptr & (align - 1))) {
        int r = inplace_realloc(h, ptr, nbytes);
        if (r < 0)
            goto done;
        if (r) {
            if (h->live && PyDict_SetItem(h->live, ptr_o, owner) < 0)
                goto done;
            Py_INCREF(ptr_o);
            res = ptr_o;
            goto done;
        }
    }
    /* Fallback: allocate first (so ptr's own chunk cannot be reused), copy, free. */
    PyObject *p2;
    if (align <= h->hdr)
        p2 = core_alloc(h, nbytes, owner);
    else
        p2 = core_aligned_body(h, align, 0, h->hdr, nbytes, owner);
    if (!p2 || p2 == Py_None) {
        res = p2;
        goto done;
    }
    i64 s;
    if (!rd(h, F_SZ, c, &s)) {
        Py_DECREF(p2);
        goto done;
    }
    i64 n = (s >> 1) * 8 - h->hdr - (h->big ? 0 : (ptr - 4) & 7);
    if (n > nbytes)
        n = nbytes;
    if (!copy_block(h, ptr - h->addr, PyLong_AsLongLong(p2) - h->addr, n) ||
        heap_free_obj(h, ptr_o) < 0) {
        Py_DECREF(p2);
        goto done;
    }
    res = p2;
done:
    Py_DECREF(owner);
    if (!res)
        type_raw_error(h, "realloc", ptr, nbytes, align);
    return res;
slow: {
        PyObject *v[4] = {ptr_o, align_o, nbytes_o, owner};
        return PyObject_Vectorcall(h->py_aligned_realloc, v, 4, NULL);
    }
}

static const char *const AREALLOC_NAMES[] = {"ptr", "align", "nbytes", "owner"};
static const char *const REALLOC_NAMES[] = {"ptr", "nbytes", "owner"};

static PyObject *
HeapCore_aligned_realloc(HeapCore *h, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *a[4];
    if (!bind(args, PyVectorcall_NARGS(nargsf), kwnames, AREALLOC_NAMES, 4, 3, a))
        DELEGATE(h->py_aligned_realloc);
    return heap_aligned_realloc_obj(h, a[0], a[1], a[2], a[3] ? a[3] : Py_None);
}

static PyObject *ZERO;

static PyObject *
HeapCore_realloc(HeapCore *h, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *a[3];
    if (!bind(args, PyVectorcall_NARGS(nargsf), kwnames, REALLOC_NAMES, 3, 2, a))
        DELEGATE(h->py_realloc);
    return heap_aligned_realloc_obj(h, a[0], ZERO, a[1], a[2] ? a[2] : Py_None);
}

/* HeapCore(raw, base_offset, big, end_chunk, chunk0, nb, buckets_offset, stats_offset|None,
 *          ptr_size, alloc_loops, level, addr, base, live|None, reference) where reference is
 *          (alloc, aligned_alloc, free, realloc, aligned_realloc, usable_size). */
static PyObject *
HeapCore_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *raw, *stats_off_o, *live, *ref;
    long long base_off, end, chunk0, nb, boff, loops, level, addr, base;
    int big, ps;
    if (!PyArg_ParseTuple(args, "OLpLLLLOiLLLLOO!:HeapCore", &raw, &base_off, &big, &end, &chunk0,
                          &nb, &boff, &stats_off_o, &ps, &loops, &level, &addr, &base, &live,
                          &PyTuple_Type, &ref))
        return NULL;
    if (PyTuple_GET_SIZE(ref) != 8) {
        PyErr_SetString(PyExc_TypeError, "HeapCore: reference must be an 8-tuple");
        return NULL;
    }
    if ((ps != 4 && ps != 8) || end <= 0 || chunk0 <= 0 || nb <= 0 || loops < 1 || base_off < 0 ||
        addr < 0 || base < addr || base >= ARG_LIMIT) {
        PyErr_SetString(PyExc_ValueError, "HeapCore: inconsistent geometry");
        return NULL;
    }
    if (live != Py_None && !PyDict_CheckExact(live)) {
        PyErr_SetString(PyExc_TypeError, "HeapCore: live must be a dict or None");
        return NULL;
    }
    HeapCore *h = (HeapCore *)type->tp_alloc(type, 0);
    if (!h)
        return NULL;
    if (PyObject_GetBuffer(raw, &h->buf, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        Py_DECREF(h);
        return NULL;
    }
    h->have_buf = 1;
    i64 hdr = big ? 8 : 4;
    i64 need = base_off + 8 * end + hdr;
    i64 soff = -1;
    if (stats_off_o != Py_None) {
        soff = PyLong_AsLongLong(stats_off_o);
        if (soff < 0 && PyErr_Occurred()) {
            Py_DECREF(h);
            return NULL;
        }
    }
    if (need > (i64)h->buf.len || boff + 4 * nb > 8 * chunk0 || chunk0 >= end ||
        (soff >= 0 && soff + 3 * ps > boff)) {
        Py_DECREF(h);
        PyErr_SetString(PyExc_ValueError, "HeapCore: the heap does not fit its buffer");
        return NULL;
    }
    h->hbase = (unsigned char *)h->buf.buf + base_off;
    h->bkt = h->hbase + boff;
    h->st = soff >= 0 ? h->hbase + soff : NULL;
    h->big = big;
    h->ps = ps;
    h->hdr = hdr;
    h->hdr7 = hdr + 7;
    h->end = end;
    h->c0min = chunk0;
    h->m1 = big ? 1 : 0;
    h->nb = nb;
    h->loops = loops;
    h->level = level;
    h->strict = level >= 4;
    h->moderate = level >= 2;
    h->addr = addr;
    h->base = base;
    h->hb = base + hdr;
    h->smask = ((i128)1 << (8 * ps)) - 1;
    if (live != Py_None) {
        Py_INCREF(live);
        h->live = live;
    }
    Py_INCREF(raw);
    h->raw = raw;
    PyObject **slots[8] = {&h->py_alloc, &h->py_aligned_alloc, &h->py_free, &h->py_realloc,
                           &h->py_aligned_realloc, &h->py_usable_size, &h->corrupt, &h->wild};
    for (int i = 0; i < 8; i++) {
        PyObject *f = PyTuple_GET_ITEM(ref, i);
        Py_INCREF(f);
        *slots[i] = f;
    }
    return (PyObject *)h;
}

static int
HeapCore_traverse(HeapCore *h, visitproc visit, void *arg)
{
    Py_VISIT(h->live);
    Py_VISIT(h->raw);
    Py_VISIT(h->py_alloc);
    Py_VISIT(h->py_aligned_alloc);
    Py_VISIT(h->py_free);
    Py_VISIT(h->py_realloc);
    Py_VISIT(h->py_aligned_realloc);
    Py_VISIT(h->py_usable_size);
    Py_VISIT(h->corrupt);
    Py_VISIT(h->wild);
    return 0;
}

static int
HeapCore_clear(HeapCore *h)
{
    Py_CLEAR(h->live);
    Py_CLEAR(h->py_alloc);
    Py_CLEAR(h->py_aligned_alloc);
    Py_CLEAR(h->py_free);
    Py_CLEAR(h->py_realloc);
    Py_CLEAR(h->py_aligned_realloc);
    Py_CLEAR(h->py_usable_size);
    Py_CLEAR(h->corrupt);
    Py_CLEAR(h->wild);
    return 0;
}

static void
HeapCore_dealloc(HeapCore *h)
{
    PyObject_GC_UnTrack(h);
    HeapCore_clear(h);
    if (h->have_buf)
        PyBuffer_Release(&h->buf);
    Py_CLEAR(h->raw);
    Py_TYPE(h)->tp_free((PyObject *)h);
}

#define FASTKW METH_FASTCALL | METH_KEYWORDS

static PyMethodDef HeapCore_methods[] = {
    {"alloc", (PyCFunction)(void (*)(void))HeapCore_alloc, FASTKW, "sys_heap_alloc"},
    {"aligned_alloc", (PyCFunction)(void (*)(void))HeapCore_aligned_alloc, FASTKW,
     "sys_heap_aligned_alloc"},
    {"free", (PyCFunction)(void (*)(void))HeapCore_free, FASTKW, "sys_heap_free"},
    {"realloc", (PyCFunction)(void (*)(void))HeapCore_realloc, FASTKW, "sys_heap_realloc"},
    {"aligned_realloc", (PyCFunction)(void (*)(void))HeapCore_aligned_realloc, FASTKW,
     "sys_heap_aligned_realloc"},
    {"usable_size", (PyCFunction)(void (*)(void))HeapCore_usable_size, FASTKW,
     "sys_heap_usable_size"},
    {NULL},
};

static PyTypeObject HeapCore_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "smh_boot.heap._core.HeapCore",
    .tp_basicsize = sizeof(HeapCore),
    .tp_dealloc = (destructor)HeapCore_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Compiled sys_heap operations over a heap region's bytes (see sys_heap.py).",
    .tp_traverse = (traverseproc)HeapCore_traverse,
    .tp_clear = (inquiry)HeapCore_clear,
    .tp_methods = HeapCore_methods,
    .tp_new = HeapCore_new,
};

/* ======================================================================== PoolCore */

#define MAX_ATTR 8
#define MAX_HEAPS 8

typedef struct {
    PyObject_HEAD
    LockObject *lock;
    int ready, nattr, nheaps;
    int nby[MAX_ATTR];
    HeapCore *by[MAX_ATTR][MAX_HEAPS];
    i64 bases[MAX_HEAPS];
    HeapCore *owner_of[MAX_HEAPS];
    PyObject *sysheaps;     /* the SysHeap objects, in base order (for `move`) */
    PyObject *move;         /* MultiHeap.realloc_move */
    PyObject *py_alloc, *py_aligned_alloc, *py_free, *py_realloc;
} PoolCore;

static PyTypeObject PoolCore_Type;

/* sys_multi_heap_get_heap: the heap with the greatest base <= ptr, -1 below every heap. */
static inline int
pool_heap_index(PoolCore *pc, i64 ptr)
{
    int i = pc->nheaps - 1;
    while (i >= 0 && pc->bases[i] > ptr)
        i--;
    return i;
}



/* Positional attr/size(/align), keyword-only owner: else 0 (the reference handles it). */
static int
bind_pool(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, int npos, PyObject **out,
          PyObject **owner)
{
    if (nargs != npos)
        return 0;
    for (int i = 0; i < npos; i++)
        out[i] = args[i];
    *owner = Py_None;
    if (kwnames) {
        if (PyTuple_GET_SIZE(kwnames) != 1 ||
            PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "owner") != 0)
            return 0;
        *owner = args[nargs];
    }
    return 1;
}

static PyObject *
pool_alloc_common(PoolCore *pc, PyObject *const *args, size_t nargsf, PyObject *kwnames,
                  int aligned)
{
    PyObject *a[3], *owner;
    PyObject *ref = aligned ? pc->py_aligned_alloc : pc->py_alloc;
    int npos = aligned ? 3 : 2;
    i64 attr, size;
    if (!bind_pool(args, PyVectorcall_NARGS(nargsf), kwnames, npos, a, &owner) ||
        !small_int(a[0], &attr) || !small_int(a[npos - 1], &size) || size < 0 ||
        (aligned && !PyLong_CheckExact(a[1])))
        DELEGATE(ref); /* the reference refuses or handles it (InvalidArgument, ...) */
    if (attr < 0 || attr >= pc->nattr)
        Py_RETURN_NONE;
    if (lock_enter(pc->lock) < 0)
        return NULL;
    if (!pc->ready) {
        lock_exit(pc->lock);
        DELEGATE(ref); /* raises "not initialised" (under the lock) */
    }
    if (size == 0) {
        lock_exit(pc->lock);
        Py_RETURN_NONE;
    }
    PyObject *r = Py_None;
    int n = pc->nby[attr];
    for (int i = 0; i < n; i++) {
        HeapCore *h = pc->by[attr][i];
        r = aligned ? heap_aligned_obj(h, a[1], a[2], owner) : heap_alloc_obj(h, a[1], owner);
        if (r != Py_None)
            break;
        Py_DECREF(r);
    }
    lock_exit(pc->lock);
    if (r == Py_None)
        Py_INCREF(r);
    return r;
}

static PyObject *
PoolCore_alloc(PoolCore *pc, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return pool_alloc_common(pc, args, nargsf, kwnames, 0);
}

static PyObject *
PoolCore_aligned_alloc(PoolCore *pc, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return pool_alloc_common(pc, args, nargsf, kwnames, 1);
}

static PyObject *
PoolCore_free(PoolCore *pc, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    i64 ptr;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames)
        DELEGATE(pc->py_free);
    if (args[0] == Py_None)
        Py_RETURN_NONE;
    if (!small_int(args[0], &ptr))
        DELEGATE(pc->py_free);
    int i = pool_heap_index(pc, ptr);
    if (i < 0)
        DELEGATE(pc->py_free);
    if (lock_enter(pc->lock) < 0)
        return NULL;
    int r = heap_free_obj(pc->owner_of[i], args[0]);
    lock_exit(pc->lock);
    if (r < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* shared_multi_heap_realloc -> sys_multi_heap_aligned_realloc(attr, ptr, 0, size, owner). */
static PyObject *
PoolCore_realloc(PoolCore *pc, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *a[3], *owner, *r;
    i64 attr, size, ptr = 0;
    if (!bind_pool(args, PyVectorcall_NARGS(nargsf), kwnames, 3, a, &owner) ||
        !small_int(a[0], &attr) || !small_int(a[2], &size) || size < 0 ||
        (a[1] != Py_None && !small_int(a[1], &ptr)))
        DELEGATE(pc->py_realloc);
    if (attr < 0 || attr >= pc->nattr)
        Py_RETURN_NONE;
    if (!pc->ready)
        DELEGATE(pc->py_realloc);
    int i = a[1] == Py_None ? 0 : pool_heap_index(pc, ptr);
    if (i < 0)
        DELEGATE(pc->py_realloc); /* below every heap: the multi-heap's own error */
    if (lock_enter(pc->lock) < 0)
        return NULL;
    if (a[1] == Py_None) {
        /* choice(attr, 0, size), then the owner tag on the new block */
        r = Py_None;
        Py_INCREF(r);
        if (size != 0) {
            for (int j = 0; j < pc->nby[attr]; j++) {
                Py_DECREF(r);
                r = heap_aligned_obj(pc->by[attr][j], ZERO, a[2], Py_None);
                if (r != Py_None)
                    break;
            }
        }
        if (r && r != Py_None && owner != Py_None) {
            int k = pool_heap_index(pc, PyLong_AsLongLong(r));
            PyObject *live = k >= 0 ? pc->owner_of[k]->live : NULL;
            if (live) {
                int has = PyDict_Contains(live, r);
                if (has < 0 || (has && PyDict_SetItem(live, r, owner) < 0))
                    Py_CLEAR(r);
            }
        }
    } else if (size == 0) {
        r = heap_free_obj(pc->owner_of[i], a[1]) < 0 ? NULL : Py_NewRef(Py_None);
    } else {
        r = heap_aligned_realloc_obj(pc->owner_of[i], a[1], ZERO, a[2], owner);
        if (r == Py_None) {
            /* the owning heap cannot resize it: move through the choice function (Python) */
            Py_DECREF(r);
            PyObject *v[6] = {a[0], PyTuple_GET_ITEM(pc->sysheaps, i), a[1], ZERO, a[2], owner};
            r = PyObject_Vectorcall(pc->move, v, 6, NULL);
        }
    }
    lock_exit(pc->lock);
    return r;
}

/* PoolCore(lock, ready, by_attr, bases, frees_cores, sysheaps, move,
 *          (alloc, aligned_alloc, free, realloc)) */
static PyObject *
PoolCore_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *lock, *by_attr, *bases, *cores, *sysheaps, *move, *ref;
    int ready;
    if (!PyArg_ParseTuple(args, "O!pO!O!O!O!OO!:PoolCore", &Lock_Type, &lock, &ready, &PyTuple_Type,
                          &by_attr, &PyTuple_Type, &bases, &PyTuple_Type, &cores, &PyTuple_Type,
                          &sysheaps, &move, &PyTuple_Type, &ref))
        return NULL;
    Py_ssize_t nattr = PyTuple_GET_SIZE(by_attr), nh = PyTuple_GET_SIZE(bases);
    if (nattr > MAX_ATTR || nh > MAX_HEAPS || PyTuple_GET_SIZE(cores) != nh ||
        PyTuple_GET_SIZE(sysheaps) != nh || PyTuple_GET_SIZE(ref) != 4) {
        PyErr_SetString(PyExc_ValueError, "PoolCore: too many attributes or heaps");
        return NULL;
    }
    PoolCore *pc = (PoolCore *)type->tp_alloc(type, 0);
    if (!pc)
        return NULL;
    Py_INCREF(lock);
    pc->lock = (LockObject *)lock;
    pc->ready = ready;
    pc->nattr = (int)nattr;
    for (Py_ssize_t a = 0; a < nattr; a++) {
        PyObject *t = PyTuple_GET_ITEM(by_attr, a);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) > MAX_HEAPS)
            goto bad;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
            PyObject *h = PyTuple_GET_ITEM(t, i);
            if (!PyObject_TypeCheck(h, &HeapCore_Type))
                goto bad;
            Py_INCREF(h);
            pc->by[a][i] = (HeapCore *)h;
            pc->nby[a] = (int)i + 1;
        }
    }
    for (Py_ssize_t i = 0; i < nh; i++) {
        PyObject *h = PyTuple_GET_ITEM(cores, i);
        if (!PyObject_TypeCheck(h, &HeapCore_Type))
            goto bad;
        pc->bases[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(bases, i));
        if (PyErr_Occurred() || (i && pc->bases[i] <= pc->bases[i - 1]))
            goto bad;
        Py_INCREF(h);
        pc->owner_of[i] = (HeapCore *)h;
        pc->nheaps = (int)i + 1;
    }
    Py_INCREF(sysheaps);
    pc->sysheaps = sysheaps;
    Py_INCREF(move);
    pc->move = move;
    PyObject **slots[4] = {&pc->py_alloc, &pc->py_aligned_alloc, &pc->py_free, &pc->py_realloc};
    for (int i = 0; i < 4; i++) {
        PyObject *f = PyTuple_GET_ITEM(ref, i);
        Py_INCREF(f);
        *slots[i] = f;
    }
    return (PyObject *)pc;
bad:
    Py_DECREF(pc);
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "PoolCore: heaps must be HeapCore objects in base order");
    return NULL;
}

static int
PoolCore_traverse(PoolCore *pc, visitproc visit, void *arg)
{
    Py_VISIT(pc->lock);
    for (int a = 0; a < pc->nattr; a++)
        for (int i = 0; i < pc->nby[a]; i++)
            Py_VISIT(pc->by[a][i]);
    for (int i = 0; i < pc->nheaps; i++)
        Py_VISIT(pc->owner_of[i]);
    Py_VISIT(pc->sysheaps);
    Py_VISIT(pc->move);
    Py_VISIT(pc->py_alloc);
    Py_VISIT(pc->py_aligned_alloc);
    Py_VISIT(pc->py_free);
    Py_VISIT(pc->py_realloc);
    return 0;
}

static int
PoolCore_clear(PoolCore *pc)
{
    Py_CLEAR(pc->lock);
    for (int a = 0; a < pc->nattr; a++) {
        for (int i = 0; i < pc->nby[a]; i++)
            Py_CLEAR(pc->by[a][i]);
        pc->nby[a] = 0;
    }
    for (int i = 0; i < pc->nheaps; i++)
        Py_CLEAR(pc->owner_of[i]);
    pc->nheaps = 0;
    Py_CLEAR(pc->sysheaps);
    Py_CLEAR(pc->move);
    Py_CLEAR(pc->py_alloc);
    Py_CLEAR(pc->py_aligned_alloc);
    Py_CLEAR(pc->py_free);
    Py_CLEAR(pc->py_realloc);
    return 0;
}

static void
PoolCore_dealloc(PoolCore *pc)
{
    PyObject_GC_UnTrack(pc);
    PoolCore_clear(pc);
    Py_TYPE(pc)->tp_free((PyObject *)pc);
}

static PyMethodDef PoolCore_methods[] = {
    {"alloc", (PyCFunction)(void (*)(void))PoolCore_alloc, FASTKW,
     "shared_multi_heap_alloc(attr, size, *, owner=None)"},
    {"aligned_alloc", (PyCFunction)(void (*)(void))PoolCore_aligned_alloc, FASTKW,
     "shared_multi_heap_aligned_alloc(attr, align, size, *, owner=None)"},
    {"free", (PyCFunction)(void (*)(void))PoolCore_free, FASTKW, "shared_multi_heap_free(ptr)"},
    {"realloc", (PyCFunction)(void (*)(void))PoolCore_realloc, FASTKW,
     "shared_multi_heap_realloc(attr, ptr, size, *, owner=None)"},
    {NULL},
};

static PyTypeObject PoolCore_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "smh_boot.heap._core.PoolCore",
    .tp_basicsize = sizeof(PoolCore),
    .tp_dealloc = (destructor)PoolCore_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Compiled shared_multi_heap alloc/aligned_alloc/free dispatch over HeapCores.",
    .tp_traverse = (traverseproc)PoolCore_traverse,
    .tp_clear = (inquiry)PoolCore_clear,
    .tp_methods = PoolCore_methods,
    .tp_new = PoolCore_new,
};

/* ======================================================================== module */

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "smh_boot.heap._core",
    .m_doc = "Optional compiled core of smh_boot.heap (sys_heap operations and the "
             "shared_multi_heap dispatch); smh_boot.heap.sys_heap is the reference.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    if (PyType_Ready(&Lock_Type) < 0 || PyType_Ready(&HeapCore_Type) < 0 ||
        PyType_Ready(&PoolCore_Type) < 0)
        return NULL;
    ZERO = PyLong_FromLong(0);
    if (!ZERO)
        return NULL;
    PyObject *m = PyModule_Create(&core_module);
    if (!m)
        return NULL;
    if (PyModule_AddType(m, &Lock_Type) < 0 || PyModule_AddType(m, &HeapCore_Type) < 0 ||
        PyModule_AddType(m, &PoolCore_Type) < 0 ||
        PyModule_AddIntConstant(m, "ABI", CORE_ABI) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
