"""cffi: ABI-mode calls into libc, C arrays, structs and callbacks (qsort)."""
# dists: cffi, pycparser
from cffi import FFI

ffi = FFI()
ffi.cdef("""
    int abs(int);
    size_t strlen(const char *);
    void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
    typedef struct { int x; double y; } pt;
""")
C = ffi.dlopen(None)
print(C.abs(-42), C.strlen(b"hello"))
arr = ffi.new("int[]", [5, 3, 9, 1, 7])


@ffi.callback("int(const void *, const void *)")
def cmp(a, b):
    x, y = ffi.cast("int *", a)[0], ffi.cast("int *", b)[0]
    return (x > y) - (x < y)


C.qsort(arr, 5, ffi.sizeof("int"), cmp)
print(list(arr))
p = ffi.new("pt *", {"x": 3, "y": 2.5})
print(p.x, p.y, ffi.sizeof("pt"), bytes(ffi.buffer(ffi.new("char[]", b"ab"))))
