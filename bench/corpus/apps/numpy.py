"""numpy: linear algebra, FFT, random with a seed, ufuncs and an error from the C core."""
# dists: numpy
import numpy as np

rng = np.random.default_rng(12345)
a = rng.standard_normal((6, 6))
b = rng.standard_normal(6)
x = np.linalg.solve(a, b)
print("solve residual small:", bool(np.allclose(a @ x, b)))
print("det:", round(float(np.linalg.det(a)), 6))
w = np.linalg.eigvalsh(a + a.T)
print("eigvalsh:", np.round(w, 4).tolist())
f = np.fft.rfft(np.sin(np.linspace(0, 8 * np.pi, 64, endpoint=False)))
print("fft peak bin:", int(np.argmax(np.abs(f))))
m = np.arange(24, dtype=np.int64).reshape(2, 3, 4)
print("einsum:", np.einsum("ijk->k", m).tolist())
print("sorted:", np.sort(rng.integers(0, 100, 10)).tolist())
s = np.array(["b", "a", "c"]); print("strings:", np.char.upper(s).tolist())
try:
    np.ones(3) @ np.ones(4)
except ValueError as e:
    print("ValueError:", type(e).__name__)
with np.errstate(divide="raise"):
    try:
        np.float64(1.0) / np.float64(0.0)
    except FloatingPointError as e:
        print("FloatingPointError:", e)
print(np.array2string(np.linspace(0, 1, 5), precision=3))
